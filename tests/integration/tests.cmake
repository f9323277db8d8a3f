# Integration tests: real clients (AWS CLI v2, boto3 under both Python
# interpreters, the AWS SDK for JavaScript v3) through a real dynaudit to a real
# DynamoDB-compatible server (dynalite), all on 127.0.0.1. Each test file is
# one CTest test; they need `./dev setup` (node_modules, awscli, python3-boto3).
# The harness needs only the standard library (and botocore, which both the
# machine's python3 and Debian's /usr/bin/python3 have, for hand-signed requests).
set(DYNAUDIT_IT_PYTHON python3)

set(DYNAUDIT_INTEGRATION_TESTS
  test_examples
  test_transparency
  test_forwarding
  test_lifecycle
  test_verify_mode
  test_resign_chain
  test_upstream_failure
  test_upstream_lifecycle
  test_limits
  test_rules
  test_rules_reload
  test_alerts
  test_masking
  test_bench_tools
  test_rules_cli
  test_protocol_edges
  test_metrics
  test_deploy
  test_anomalies
  test_discovery
  test_report
  test_fleet
  test_console
)
# dynaudit_integration_tests(LIST LABELS ENVIRONMENT): one CTest test per file.
function(dynaudit_integration_tests names labels environment)
  foreach(name IN LISTS names)
    if(EXISTS "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${name}.py")
      add_test(NAME integration:${name}
               COMMAND ${DYNAUDIT_IT_PYTHON} -m unittest -v ${name}
               WORKING_DIRECTORY ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
      set_tests_properties(integration:${name} PROPERTIES
        ENVIRONMENT "${environment}"
        LABELS "${labels}"
        TIMEOUT 1200)
    endif()
  endforeach()
endfunction()

dynaudit_integration_tests("${DYNAUDIT_INTEGRATION_TESTS}" integration
  "DYNAUDIT_BIN=$<TARGET_FILE:dynaudit>;PYTHONDONTWRITEBYTECODE=1")

# The audit store's integration tests also drive `dynaudit audit …` and, for
# the tamper test, tests/tools/audit_tamper (RocksDB opened behind dynaudit's
# back). The store-failure test mounts a tmpfs, so it needs root; it says it
# skipped when mount(2) answers EPERM.
set(DYNAUDIT_AUDIT_INTEGRATION_TESTS
  test_audit_records
  test_audit_query
  test_audit_tamper
  test_audit_crash
  test_audit_store_failure
)
dynaudit_integration_tests("${DYNAUDIT_AUDIT_INTEGRATION_TESTS}" "integration;audit"
  "DYNAUDIT_BIN=$<TARGET_FILE:dynaudit>;DYNAUDIT_TAMPER=$<TARGET_FILE:audit_tamper>;PYTHONDONTWRITEBYTECODE=1")

# Resilience (issue 11): restarts during a store outage, drain deadlines, two
# proxies on one port, a 100k-table-file store under a low fd limit (made by
# tests/tools/audit_many_files, on /dev/shm when there is one), check-config,
# the default store. The outage tests mount a tmpfs (root; skipped on EPERM).
dynaudit_integration_tests("test_resilience" "integration;audit"
  "DYNAUDIT_BIN=$<TARGET_FILE:dynaudit>;DYNAUDIT_MANY_FILES=$<TARGET_FILE:audit_many_files>;PYTHONDONTWRITEBYTECODE=1")
