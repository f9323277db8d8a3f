// CRC-32 (IEEE 802.3, as zlib computes it) of a response body: DynamoDB sends
// it as `x-amz-crc32`, and boto3 and the AWS CLI v1 reject a response whose
// body does not match. Every body the proxy writes or changes needs it.
#pragma once

#include <cstdint>
#include <string_view>

namespace dynaudit::ddb {

std::uint32_t crc32(std::string_view data);

}  // namespace dynaudit::ddb
