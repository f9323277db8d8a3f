# Unit tests of the investigators' console; included by tests/CMakeLists.txt.
dynaudit_unit_test(console_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/console_test.cpp
  LIBS dynaudit_console)
