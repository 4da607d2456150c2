// The signed record a GROUP_CREATE, GROUP_ADD or GROUP_REMOVE carries
// (tacit-protocol(7), GROUPS): decoded and held to the request it came in.
// The chain checks (head, keys, signature) run in the store's write.
#pragma once
#include <optional>
#include <string>

#include "shared/group_record.hpp"

namespace tacit::srv {

// The record, if it decodes and names this group, this actor and this
// subject; otherwise nullopt with the reason in *why (BAD_REQUEST).
std::optional<group::Record> request_record(ByteView blob, const std::string& group, const std::string& actor,
                                            const std::string& subject, std::string* why);

}  // namespace tacit::srv
