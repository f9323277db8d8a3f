# Security tests: attacks through a real dynaudit (tests/security/, issue 10),
# with the integration harness. One CTest test per file, label `security`.
set(DYNAUDIT_SECURITY_TESTS
  test_evidence
)
foreach(name IN LISTS DYNAUDIT_SECURITY_TESTS)
  add_test(NAME security:${name}
           COMMAND python3 -m unittest -v ${name}
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(security:${name} PROPERTIES
    ENVIRONMENT "DYNAUDIT_BIN=$<TARGET_FILE:dynaudit>;DYNAUDIT_TAMPER=$<TARGET_FILE:audit_tamper>;PYTHONDONTWRITEBYTECODE=1"
    LABELS security
    TIMEOUT 600)
endforeach()
