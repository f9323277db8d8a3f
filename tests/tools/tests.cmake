# Small programs the integration tests drive. audit_tamper edits an audit
# store behind dynaudit's back (RocksDB directly) for the tamper test.
find_package(RocksDB REQUIRED)
add_executable(audit_tamper ${CMAKE_CURRENT_LIST_DIR}/audit_tamper.cpp)
# Linked to the storage module: the careful edits (truncate, rewrite) write
# records the way dynaudit does, as an attacker who read the code would.
target_link_libraries(audit_tamper PRIVATE dynaudit_storage RocksDB::rocksdb-shared)
set_target_properties(audit_tamper PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)

# audit_many_files makes a store with very many table files for the fd test
# of tests/integration/test_resilience.py.
add_executable(audit_many_files ${CMAKE_CURRENT_LIST_DIR}/audit_many_files.cpp)
target_link_libraries(audit_many_files PRIVATE dynaudit_storage RocksDB::rocksdb-shared)
set_target_properties(audit_many_files PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)

# audit_history writes weeks of ordinary calls for the analytics test
# (tests/integration/test_anomalies.py) to learn from.
add_executable(audit_history ${CMAKE_CURRENT_LIST_DIR}/audit_history.cpp)
target_link_libraries(audit_history PRIVATE dynaudit_storage)
set_target_properties(audit_history PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
