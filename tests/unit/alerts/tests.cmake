# Unit tests of the alerts module, against real receivers on 127.0.0.1;
# included by tests/CMakeLists.txt.
dynaudit_unit_test(alerts_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_payloads.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_http.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_syslog_file.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_dispatcher.cpp
  LIBS dynaudit_alerts)
