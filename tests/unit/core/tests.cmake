dynaudit_unit_test(core_unit_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_serve_config.cpp ${CMAKE_CURRENT_LIST_DIR}/test_stages.cpp ${CMAKE_CURRENT_LIST_DIR}/test_audit_record.cpp ${CMAKE_CURRENT_LIST_DIR}/test_policy_stage.cpp ${CMAKE_CURRENT_LIST_DIR}/test_mask_stage.cpp ${CMAKE_CURRENT_LIST_DIR}/test_masked_use_stage.cpp ${CMAKE_CURRENT_LIST_DIR}/test_protocol_edges.cpp ${CMAKE_CURRENT_LIST_DIR}/test_admin_scan_request.cpp
  LIBS dynaudit_proxy)
