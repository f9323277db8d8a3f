# Unit tests of sensitive-data discovery; included by tests/CMakeLists.txt.
dynaudit_unit_test(discovery_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/detectors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/inventory_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/service_test.cpp
  LIBS dynaudit_discovery dynaudit_rules)
