// The AWS protocol pieces the proxy uses (aws/: SigV4, credentials, the
// request view), under the names the proxy's code has always used for them,
// so that aws/ can serve other modules (the fleet) without reaching into
// proxy/.
#pragma once

#include "aws/aws_credentials.hpp"
#include "aws/header_lookup.hpp"
#include "aws/http_view.hpp"
#include "aws/sigv4.hpp"
#include "aws/time_format.hpp"
#include "aws/upstream_credentials.hpp"

namespace dynaudit::proxy {

namespace sigv4 = aws::sigv4;
namespace time_format = aws::time_format;

using aws::AwsCredentials;
using aws::CredentialRefreshStats;
using aws::CredentialResult;
using aws::CredentialSource;
using aws::FetchRequest;
using aws::FetchResponse;
using aws::HeaderView;
using aws::HttpFetch;
using aws::load_from_ecs;
using aws::load_from_environment;
using aws::load_from_imds;
using aws::load_from_profile;
using aws::make_upstream_credential_provider;
using aws::RequestView;
using aws::UpstreamCredentialProvider;
using aws::UpstreamCredentialSettings;

}  // namespace dynaudit::proxy
