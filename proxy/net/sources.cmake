# Included from proxy/CMakeLists.txt: the Beast/Asio part of the proxy.
add_library(dynaudit_asio STATIC ${CMAKE_CURRENT_LIST_DIR}/asio_beast_impl.cpp)
target_link_libraries(dynaudit_asio PUBLIC dynaudit_boost_defs)

# The call counters have no Beast in them: their own library, so their unit
# test builds without the proxy.
add_library(dynaudit_call_metrics STATIC ${CMAKE_CURRENT_LIST_DIR}/../pipeline/call_metrics.cpp)
target_include_directories(dynaudit_call_metrics PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(dynaudit_call_metrics PUBLIC dynaudit_ddb dynaudit_rules dynaudit_metrics)

add_library(dynaudit_proxy STATIC
  ${CMAKE_CURRENT_LIST_DIR}/../config/duration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../config/yaml_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../config/serve_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../config/audit_witness_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../config/analytics_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../config/rule_channels.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../log/request_log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/stages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/request_gate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/dynamodb_endpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/request_encoding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/request_handler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/discovery_scan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/audit_record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/audit_sink.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/forwarded_calls.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/policy_stage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/mask_stage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/masked_use_stage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/stream_tables.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/key_schemas.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/audit_body.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/audit_tokens.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pipeline/audit_values.cpp
  ${CMAKE_CURRENT_LIST_DIR}/upstream_endpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tls_contexts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/upstream_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/server_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client_session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/admin_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/admin_scan_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_fetch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/listen_port.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fd_limit.cpp
  ${CMAKE_CURRENT_LIST_DIR}/refused_connections.cpp
  ${CMAKE_CURRENT_LIST_DIR}/start_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/server.cpp
)
target_include_directories(dynaudit_proxy PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(dynaudit_proxy PUBLIC dynaudit_auth dynaudit_ddb dynaudit_storage dynaudit_rules dynaudit_alerts dynaudit_masking dynaudit_metrics dynaudit_call_metrics dynaudit_analytics dynaudit_discovery dynaudit_asio yaml-cpp ZLIB::ZLIB)
