// libFuzzer target for the group membership parsers (shared/group_record.hpp,
// shared/group_chain.hpp). The first byte picks the mode:
//   0: Record::decode; anything accepted re-encodes to the same bytes.
//   1: Chain::deserialize, then the chain rules on what it holds. The keys
//      the caller "published" are those the records themselves carry, so a
//      seed chain (tests/fuzz/corpus/group_chain/) is accepted whole and the
//      rules run on every mutation that keeps its signatures.
// An accepted chain must re-serialize to its input, name its last record's
// hash as head, and refuse that record a second time without changing.
#include <cstdlib>
#include <map>

#include "shared/group_chain.hpp"
#include "shared/wire.hpp"

using namespace tacit;
using namespace tacit::group;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

// The last bundle each user's records carry: the keys a client would have.
KeyLookup keys_in(ByteView stored) {
    std::map<std::string, Bytes, std::less<>> keys;
    try {
        Reader r(stored);
        r.u8();
        uint32_t n = r.count(4);
        for (uint32_t i = 0; i < n; ++i)
            if (auto rec = Record::decode(r.blob_view(kMaxRecord)); rec && carries_bundle(rec->kind))
                keys[rec->subject] = rec->bundle;
    } catch (const WireError&) {
    }
    return lookup_in(std::move(keys));
}

void fuzz_chain(ByteView in) {
    Policy p{4, keys_in(in)};
    auto built = Chain::deserialize(in, p);
    if (!built.chain) {
        check(!describe(built.rejection).empty());
        return;
    }
    Chain& c = *built.chain;
    check(c.serialize() == Bytes(in.begin(), in.end()));
    check(c.epoch() + 1 == c.records().size());
    check(c.head() == c.records().back().hash());
    check(c.members().size() <= p.max_members);
    check(!c.dissolved() || c.members().empty());
    for (const auto& m : c.members()) check(m.key == key_hash(m.bundle));
    auto head = c.head();
    auto again = c.append(c.records().back(), p);
    check(again && (again->reason == Reject::EpochRepeated || again->reason == Reject::Dissolved));
    check(c.head() == head);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    if (data[0] % 2 == 0) {
        if (auto r = Record::decode(in)) {
            Bytes enc = r->encode();
            check(enc == Bytes(in.begin(), in.end()));
            check(r->hash() == crypto::sha256(enc));
            size_t sigs = r->kind == Kind::Rekeyed ? 2 : 1;
            check(r->signed_input().size() == 2 + kRecordLabel.size() + enc.size() - sigs * (2 + kSigLen));
        }
        return 0;
    }
    fuzz_chain(in);
    return 0;
}
