// Usernames and group ids (tacit-protocol(7), Names and times): 1..32 bytes of
// [a-z0-9_.-], starting with a letter. Lowercase-only ASCII keeps names free
// of homoglyphs and case confusion, and safe in file paths and LMDB keys.
#pragma once
#include <string>
#include <string_view>

namespace tacit {

bool valid_name(std::string_view name);
// Why the name is invalid, as a sentence for a person; "" when it is valid.
std::string name_problem(std::string_view name);
// A name from the wire as a log line may show it: a valid name as it is,
// anything else in double quotes with every byte outside '!'..'~' (and '"'
// and '\\') as \xNN, cut after 64 bytes. A name holding a newline or
// " status=OK" can then neither forge a log line nor a field of one.
std::string loggable_name(std::string_view name);

}  // namespace tacit
