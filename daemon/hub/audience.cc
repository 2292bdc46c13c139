#include "daemon/hub/audience.h"

namespace ldgs::daemon::hub {

v1::Audience Normalized(v1::Audience audience) {
  return audience == v1::AUDIENCE_OPERATOR || audience == v1::AUDIENCE_PUBLIC
             ? audience
             : v1::AUDIENCE_NETWORK;
}

bool VisibleTo(const v1::Record& record, v1::Audience audience) {
  switch (record.visibility()) {
    case v1::VISIBILITY_PUBLIC:
      return true;
    case v1::VISIBILITY_NETWORK:
      return Normalized(audience) != v1::AUDIENCE_PUBLIC;
    case v1::VISIBILITY_HUB:
      return Normalized(audience) == v1::AUDIENCE_OPERATOR;
    default:
      return false;
  }
}

std::string AudienceName(v1::Audience audience) {
  switch (Normalized(audience)) {
    case v1::AUDIENCE_OPERATOR:
      return "operator";
    case v1::AUDIENCE_PUBLIC:
      return "public";
    default:
      return "network";
  }
}

}  // namespace ldgs::daemon::hub
