# Unit tests of the behaviour analytics; included by tests/CMakeLists.txt.
dynaudit_unit_test(analytics_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/observation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sketch_and_baseline_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/analyser_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/service_test.cpp
  LIBS dynaudit_analytics)
