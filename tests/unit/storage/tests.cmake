# Unit tests of the storage module; included by tests/CMakeLists.txt.
dynaudit_unit_test(storage_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_audit_event.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_storage_parts.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_store_append.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_tamper.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_query.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_prune.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_store_failure.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_value_seal.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_find_event.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_witness.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_witness_store.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_read_errors.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_unrecorded_calls.cpp
  LIBS dynaudit_storage)
