// Keys of the `meta` database (tacit-protocol(7), STORAGE).
#pragma once
#include <cstdint>
#include <string_view>

namespace tacit::store::meta {

constexpr std::string_view kSchema = "schema";  // u32be schema version
constexpr std::string_view kSeq = "seq";        // u64be last mailbox id handed out
constexpr std::string_view kDecoy = "decoy";    // 32 random bytes
// 2 added the quota database; 3 group_records and group_heads, and the
// prekey databases (spk, opk); older environments are upgraded in place
// at start-up (Store's constructor).
constexpr uint32_t kSchemaVersion = 3;
constexpr uint32_t kSchemaNoGroupRecords = 2;
constexpr uint32_t kSchemaNoByteCounts = 1;
constexpr uint32_t kSchemaNoPrekeys = 2;

}  // namespace tacit::store::meta
