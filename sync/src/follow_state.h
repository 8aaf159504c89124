// Internal: the follower's stored position (FollowState) as the bytes of the
// store's source state. Text, one "key value" per line, so an operator can
// read it with mdb_dump:
//
//   hubreg-follow 1
//   source postgresql://hubreg@db.internal:5432/hub_alpha
//   slot hubreg
//   system 7310912345678901234
//   lsn 16/B374D848
//   commit_time 1764500000123456      (Unix microseconds)
//   applied_time 1764500000125000
#pragma once

#include <string>
#include <string_view>

#include "hubreg/follower.h"

namespace hubreg::sync {

std::string EncodeFollowState(const FollowState& state);
// kCorruption naming the line when `bytes` is not a state this build wrote.
StatusOr<FollowState> DecodeFollowState(std::string_view bytes);

}  // namespace hubreg::sync
