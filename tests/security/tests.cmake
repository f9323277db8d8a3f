# Security tests: attacks through the real proxy (issue 10). Each file is one
# CTest test, labelled `security`; they share tests/integration/harness.py.
set(DYNAUDIT_SECURITY_TESTS
  test_audit_values
)
foreach(name IN LISTS DYNAUDIT_SECURITY_TESTS)
  add_test(NAME security:${name}
           COMMAND python3 -m unittest -v ${name}
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(security:${name} PROPERTIES
    ENVIRONMENT "DYNAUDIT_BIN=$<TARGET_FILE:dynaudit>;PYTHONDONTWRITEBYTECODE=1"
    LABELS security
    TIMEOUT 600)
endforeach()
