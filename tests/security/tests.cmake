# Security tests: a caller holding one valid key (or none) attacks a real
# dynaudit in front of dynalite or a scripted upstream, the way issue 10's
# threat model describes (docs/security.md). Each file is one CTest test,
# labelled `security`; they use the integration harness.
set(DYNAUDIT_SECURITY_TESTS
  test_operation_identity
  test_masked_use
  test_streams
  test_audit_values
  test_evidence
  test_concurrent_calls
)
foreach(name IN LISTS DYNAUDIT_SECURITY_TESTS)
  if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/${name}.py")
    add_test(NAME security:${name}
             COMMAND python3 -m unittest -v ${name}
             WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
    set_tests_properties(security:${name} PROPERTIES
      ENVIRONMENT "DYNAUDIT_BIN=$<TARGET_FILE:dynaudit>;DYNAUDIT_TAMPER=$<TARGET_FILE:audit_tamper>;PYTHONDONTWRITEBYTECODE=1"
      LABELS "security"
      TIMEOUT 600)
  endif()
endforeach()
