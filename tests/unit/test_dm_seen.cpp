// The pruning rule of the processed-message log (tui/client/dm_seen.hpp):
// bounded by count and by age on the mailbox's clock, never the marker
// just added, and a log that does not parse is refused.
#include <catch2/catch.hpp>

#include "shared/wire.hpp"
#include "tui/client/dm_seen.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {

Array<16> id_of(uint32_t i) {
    Array<16> a{};
    put_u32be(a.data(), i);
    return a;
}

}  // namespace

TEST_CASE("seen log: bounded by count, oldest first", "[dm][seen]") {
    SeenLog log;
    for (uint32_t i = 0; i < kSeenPerSender; ++i) REQUIRE(log.add(id_of(i), 1000 + i).empty());
    auto gone = log.add(id_of(kSeenPerSender), 1000 + kSeenPerSender);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0] == id_of(0));
    CHECK(log.entries.size() == kSeenPerSender);
    CHECK(log.entries.front().id == id_of(1));
    CHECK(log.entries.back().id == id_of(kSeenPerSender));
}

TEST_CASE("seen log: bounded by age relative to the newest item", "[dm][seen]") {
    SeenLog log;
    const uint64_t t0 = 1700000000000ull;
    CHECK(log.add(id_of(1), t0).empty());
    CHECK(log.add(id_of(2), t0 + 1000).empty());
    // Exactly the age limit after the first: kept.
    CHECK(log.add(id_of(3), t0 + kSeenMaxAgeMs).empty());
    // One more millisecond: the first goes, the second stays.
    auto gone = log.add(id_of(4), t0 + kSeenMaxAgeMs + 1);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0] == id_of(1));
    // Far later, everything before goes, but never the marker just added.
    gone = log.add(id_of(5), t0 + 10 * kSeenMaxAgeMs);
    CHECK(gone.size() == 3);
    REQUIRE(log.entries.size() == 1);
    CHECK(log.entries.front().id == id_of(5));
    // An item older than the newest (fetched again, say) is kept itself.
    gone = log.add(id_of(6), t0);
    CHECK(gone.empty());
    CHECK(log.entries.size() == 2);
}

TEST_CASE("seen log: encodes exactly and refuses what does not parse", "[dm][seen]") {
    SeenLog log;
    log.add(id_of(7), 0x0102030405060708ull);
    Bytes want{1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 7};
    want.resize(5 + 24);
    CHECK(log.encode() == want);
    auto back = SeenLog::decode(want);
    REQUIRE(back);
    REQUIRE(back->entries.size() == 1);
    CHECK(back->entries[0].id == id_of(7));
    CHECK(back->entries[0].at_ms == 0x0102030405060708ull);
    Bytes truncated(want.begin(), want.end() - 1);
    CHECK_FALSE(SeenLog::decode(truncated));
    Bytes version = want;
    version[0] = 2;
    CHECK_FALSE(SeenLog::decode(version));
    // A count past the bound is refused before anything is read.
    Bytes huge{1, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_FALSE(SeenLog::decode(huge));
    CHECK_FALSE(SeenLog::decode({}));
}
