#pragma once

#include <string>

#include "ldgs/v1/learnings.pb.h"
#include "ldgs/v1/record.pb.h"

// Who sees what of the learnings (learnings.proto, Audience). Nobody's private record is in
// any view, the node's own operator's included: a private record never leaves its node, and
// a learning is something shared.
namespace ldgs::daemon::hub {

// AUDIENCE_UNSPECIFIED reads as network.
v1::Audience Normalized(v1::Audience audience);

// Whether `record` may appear in a learning for `audience`: operator sees hub, network and
// public records; network sees network and public; public only public.
bool VisibleTo(const v1::Record& record, v1::Audience audience);

// "operator", "network", "public".
std::string AudienceName(v1::Audience audience);

}  // namespace ldgs::daemon::hub
