# Fuzz targets. With -DDYNAUDIT_FUZZ=ON (clang) they are libFuzzer binaries:
#   build-fuzz/tests/fuzz_request_facts tests/fuzz/corpus/request_facts
# In every other build they are linked with a replay main and run over their
# corpus as ordinary tests, so past crash inputs stay fixed.
function(dynaudit_fuzz_target name source corpus)
  if(DYNAUDIT_FUZZ)
    add_executable(fuzz_${name} ${source})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(fuzz_${name} ${source} ${CMAKE_CURRENT_LIST_DIR}/corpus_replay_main.cpp)
    add_test(NAME fuzz_replay:${name} COMMAND fuzz_${name} ${corpus})
    set_tests_properties(fuzz_replay:${name} PROPERTIES LABELS unit)
  endif()
  target_link_libraries(fuzz_${name} PRIVATE ${ARGN})
endfunction()

dynaudit_fuzz_target(request_facts ${CMAKE_CURRENT_LIST_DIR}/request_facts_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/request_facts dynaudit_ddb)
dynaudit_fuzz_target(authorization ${CMAKE_CURRENT_LIST_DIR}/authorization_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/authorization dynaudit_auth)
dynaudit_fuzz_target(rule_loader ${CMAKE_CURRENT_LIST_DIR}/rule_loader_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/rule_loader dynaudit_rules)
dynaudit_fuzz_target(attribute_value ${CMAKE_CURRENT_LIST_DIR}/attribute_value_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/attribute_value dynaudit_masking dynaudit_masking_test_support)
dynaudit_fuzz_target(audit_values ${CMAKE_CURRENT_LIST_DIR}/audit_values_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/audit_values dynaudit_ddb)
dynaudit_fuzz_target(expression ${CMAKE_CURRENT_LIST_DIR}/expression_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/expression dynaudit_ddb)
dynaudit_fuzz_target(partiql ${CMAKE_CURRENT_LIST_DIR}/partiql_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/partiql dynaudit_ddb)

# The socket-free request-path stages (view_of, the request gate, upstream
# signing) on their own: the rest of dynaudit_proxy is coroutine code that
# clang 14 cannot compile with fuzzer instrumentation ("Cannot represent a
# difference across sections"), and a parser test needs none of it.
add_library(dynaudit_fuzz_request_path STATIC ${PROJECT_SOURCE_DIR}/proxy/pipeline/stages.cpp
                                              ${PROJECT_SOURCE_DIR}/proxy/pipeline/request_gate.cpp)
target_link_libraries(dynaudit_fuzz_request_path PUBLIC dynaudit_auth dynaudit_ddb dynaudit_asio)
dynaudit_fuzz_target(http_head ${CMAKE_CURRENT_LIST_DIR}/http_head_fuzz.cpp
                     ${CMAKE_CURRENT_LIST_DIR}/corpus/http_head dynaudit_fuzz_request_path)
