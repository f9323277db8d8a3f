# Unit tests of the fleet module (central table layout, shipping cursor,
# signed rule sets, CloudTrail files, DynamoDB answers); included by
# tests/CMakeLists.txt.
dynaudit_unit_test(fleet_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/fleet_test.cpp
  LIBS dynaudit_fleet)
