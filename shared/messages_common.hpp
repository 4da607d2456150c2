// Field bounds and readers shared by every message struct (tacit-protocol(7),
// MESSAGES). The bounds are wire-level caps that stop allocation early;
// semantic checks (name syntax, the 65 KiB enc_msg rule, 80-byte wrapped
// keys) belong to the handlers, which answer them with a proper status.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"

namespace tacit::msg {

namespace limit {
constexpr size_t kName = 64;               // user, target, group, sender, recipient
constexpr size_t kText = 1024;             // "msg" sentences, system entry text
constexpr size_t kPass = 64;
constexpr size_t kProof = 64;
constexpr size_t kSalt = 64;
constexpr size_t kPublicKey = proto::kMaxBundle;
constexpr size_t kEncMsg = 1024 * 1024;
constexpr size_t kWrappedKey = 1024;
constexpr size_t kBody = proto::kMaxBody;
constexpr size_t kSig = proto::kMaxSig;
constexpr size_t kGroupRecord = 4096;      // group::kMaxRecord (shared/group_record.hpp)
}  // namespace limit

inline std::string read_name(Reader& r) { return r.str(limit::kName); }
inline std::string read_text(Reader& r) { return r.str(limit::kText); }
// A sig bounded by limit::kSig before anything is allocated.
Bytes read_sig(Reader& r);

}  // namespace tacit::msg
