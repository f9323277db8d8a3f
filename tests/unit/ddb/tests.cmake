# Unit tests of the ddb module; included by tests/CMakeLists.txt.
dynaudit_unit_test(ddb_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_operation_catalog.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_error_response.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_expression_paths.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_partiql_statement.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_table_reference.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_request_facts.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_crc32.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_value_members.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_audit_sanitizers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_attribute_uses.cpp
  LIBS dynaudit_ddb)
