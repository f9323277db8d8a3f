# Unit tests of compliance reports; included by tests/CMakeLists.txt.
dynaudit_unit_test(report_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/controls_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/period_tally_test.cpp
  LIBS dynaudit_report)
