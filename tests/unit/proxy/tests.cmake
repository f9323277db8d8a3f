# proxy/auth unit tests: SigV4 primitives, canonicalisation, the verifier,
# a cross-check against botocore's and smithy's signers (run at test time),
# the credential store and the upstream credential providers.
dynaudit_unit_test(proxy_auth_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/sigv4_primitives_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/canonical_request_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/authorization_header_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sigv4_signer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sigv4_verifier_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sdk_crosscheck_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/credential_store_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/upstream_sources_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/upstream_refresh_test.cpp
  LIBS dynaudit_auth)

# The per-worker call counters behind /metrics.
dynaudit_unit_test(call_metrics_unit_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/call_metrics_test.cpp
  LIBS dynaudit_call_metrics)
