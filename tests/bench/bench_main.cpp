// tacit-bench: see tests/bench/bench.hpp. Usage:
//   tacit-bench --tacitd build/tacitd --tmp DIR [--runs 3] [--only abcdef]
//               [--scale 1] [--idle 10000] [--rate 200] [--seconds 5]
//               [--threads 2] [--wrap "valgrind --tool=callgrind"] [--keep]
// Prints one table of medians over --runs repetitions, then notes.
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <fmt/core.h>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/integration/group_records.hpp"

using namespace tacit;
using namespace tacit::bench;

namespace {

struct Row {
    std::string part, figure, value, target, verdict, limit;
};

std::vector<Row> g_rows;
std::vector<std::string> g_notes;

void row(std::string part, std::string figure, std::string value, std::string target = "-",
         std::string verdict = "-", std::string limit = "") {
    g_rows.push_back({std::move(part), std::move(figure), std::move(value), std::move(target), std::move(verdict),
                      std::move(limit)});
}
template <class... A> void note(fmt::format_string<A...> f, A&&... a) {
    g_notes.push_back(fmt::format(f, std::forward<A>(a)...));
}

std::string verdict(bool ok) { return ok ? "PASS" : "MISS"; }

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "?";
}

std::string loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

// Who limited a saturating phase: the server's one core (busy, or runnable
// but waiting while other processes held both cores), the generator, or
// neither (the server waited: fsync, round trips).
std::string limit_of(double busy, double runq, double gen) {
    if (busy >= 0.85) return fmt::format("server CPU ({:.0f}% busy)", busy * 100);
    if (busy + runq >= 0.85)
        return fmt::format("server CPU ({:.0f}% busy + {:.0f}% waiting for a core; generator {:.0f}%)", busy * 100,
                           runq * 100, gen * 100);
    if (gen >= 0.85) return fmt::format("GENERATOR ({:.0f}% of a core; server {:.0f}%)", gen * 100, busy * 100);
    return fmt::format("server waits (server {:.0f}% busy, {:.0f}% runq; generator {:.0f}%)", busy * 100, runq * 100,
                       gen * 100);
}

struct Load {
    std::vector<double> srv, runq, gen;
    void add(const PhaseResult& r) {
        srv.push_back(r.server_cpu_s / r.wall_s);
        runq.push_back(r.server_runq_s / r.wall_s);
        gen.push_back(r.gen_cpu_s / r.wall_s);
    }
    std::string limit() const { return limit_of(median(srv), median(runq), median(gen)); }
};

void print_table(const Options& opt) {
    std::vector<size_t> w = {4, 6, 5, 6, 7, 5};
    auto fit = [&](const Row& r) {
        w[0] = std::max(w[0], r.part.size());
        w[1] = std::max(w[1], r.figure.size());
        w[2] = std::max(w[2], r.value.size());
        w[3] = std::max(w[3], r.target.size());
        w[4] = std::max(w[4], r.verdict.size());
        w[5] = std::max(w[5], r.limit.size());
    };
    Row head{"part", "figure", "median", "target", "verdict", "limited by / note"};
    fit(head);
    for (auto& r : g_rows) fit(r);
    auto line = [&](const Row& r) {
        fmt::print("| {:<{}} | {:<{}} | {:>{}} | {:<{}} | {:<{}} | {:<{}} |\n", r.part, w[0], r.figure, w[1], r.value,
                   w[2], r.target, w[3], r.verdict, w[4], r.limit, w[5]);
    };
    fmt::print("\n");
    line(head);
    fmt::print("|{}|{}|{}|{}|{}|{}|\n", std::string(w[0] + 2, '-'), std::string(w[1] + 2, '-'),
               std::string(w[2] + 2, '-'), std::string(w[3] + 2, '-'), std::string(w[4] + 2, '-'),
               std::string(w[5] + 2, '-'));
    for (auto& r : g_rows) line(r);
    fmt::print("\nmedians over {} runs unless a row says otherwise. Notes:\n", opt.runs);
    for (auto& n : g_notes) fmt::print("  - {}\n", n);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--tacitd") o.tacitd = val();
        else if (a == "--tmp") o.tmp = val();
        else if (a == "--wrap") o.wrap = val();
        else if (a == "--only") o.only = val();
        else if (a == "--runs") o.runs = std::max(1, std::stoi(val()));
        else if (a == "--scale") o.scale = std::stod(val());
        else if (a == "--idle") o.idle_conns = std::stoi(val());
        else if (a == "--rate") o.dm_rate = std::stoi(val());
        else if (a == "--seconds") o.dm_seconds = std::stod(val());
        else if (a == "--threads") o.threads = std::max(1, std::stoi(val()));
        else if (a == "--keep") o.keep = true;
        else if (a == "-h" || a == "--help") {
            fmt::print("usage: tacit-bench --tacitd PATH --tmp DIR [--runs N] [--only abcdef] [--scale F]\n"
                       "       [--idle N] [--rate N] [--seconds S] [--threads N] [--wrap CMD] [--keep]\n");
            std::exit(0);
        } else throw std::runtime_error("unknown option " + a);
    }
    if (o.tmp.empty()) throw std::runtime_error("--tmp DIR is required (tests/bench/run.sh makes one)");
    return o;
}

bool want(const Options& o, char c) { return o.only.find(c) != std::string::npos; }

size_t scaled(const Options& o, double n, size_t min = 1) {
    return std::max(min, size_t(std::llround(n * o.scale)));
}

std::vector<std::string> server_flags() {
    // Limits opened so that they do not shape the measurement; each is a
    // documented tacitd flag.
    return {"--handshake-rate", "100000/100000/100000", "--login-rate", "1000000", "--register-rate", "1000000",
            "--mailbox-cap", "1000000", "--idle-timeout", "3600", "--handshake-timeout", "120",
            "--max-connections", "12000", "--max-conns-per-peer", "12000", "--max-conns-per-session", "12000",
            "--group-change-rate", "1000000", "--max-group-size", "1000000",
            "--mailbox-quota", "1024G", "--sender-mailbox-quota", "1024G", "--sender-quota", "1024G"};
}

struct DmUsers {
    std::vector<Peer> senders, recipients;
    std::vector<Peer*> s, r;
};

DmUsers setup_dm(const Tacitd& srv, const BenchIdentity& bi, size_t pairs) {
    DmUsers u;
    for (size_t i = 0; i < pairs; ++i) {
        register_user(srv, bi, fmt::format("dm_s{}", i));
        register_user(srv, bi, fmt::format("dm_r{}", i));
    }
    for (size_t i = 0; i < pairs; ++i) {
        u.senders.push_back(login(srv, bi, fmt::format("dm_s{}", i)));
        u.recipients.push_back(login(srv, bi, fmt::format("dm_r{}", i)));
    }
    for (auto& p : u.senders) u.s.push_back(&p);
    for (auto& p : u.recipients) u.r.push_back(&p);
    return u;
}

void check(const PhaseResult& r, const char* what) {
    if (!r.error.empty()) note("{}: {}", what, r.error);
}

std::string fmt_num(double v, int prec = 0) {
    if (std::isnan(v)) return "n/a";
    return fmt::format("{:.{}f}", v, prec);
}


// ------------------------------------------------------------------- (f)

// What the CPU of one (f) phase went to, as fractions of one core over its
// wall time: the whole server, its loop thread, the generator (this
// process), and every core of the machine (so also the other work on a
// shared machine).
struct PoolLoad {
    std::vector<double> srv, loop, gen, machine;
    void add(const PhaseResult& r) {
        srv.push_back(r.server_threads_s / r.wall_s);
        loop.push_back(r.server_sched_s / r.wall_s);
        gen.push_back(r.gen_cpu_s / r.wall_s);
        machine.push_back(r.machine_busy_s / r.wall_s);
    }
    double others() const { return std::max(0.0, median(machine) - median(srv) - median(gen)); }
    bool cores_full(unsigned cores) const { return median(machine) >= 0.9 * cores; }
    // Is the generator what stopped the server going faster? Its one loop
    // is saturated, or every core is busy and it holds a good part of one.
    bool generator_limits(unsigned cores) const {
        return median(gen) >= 0.85 || (cores_full(cores) && median(gen) >= 0.25);
    }
    std::string limit(unsigned cores, unsigned threads) const {
        const double s = median(srv), l = median(loop), g = median(gen), m = median(machine);
        std::string parts = fmt::format("server {:.0f}% (loop thread {:.0f}%), generator {:.0f}%, other {:.0f}%",
                                        s * 100, l * 100, g * 100, others() * 100);
        if (cores_full(cores)) return fmt::format("ALL {} CORES ({:.0f}%): {}", cores, m * 100, parts);
        if (l >= 0.85) return "server loop thread: " + parts;
        if (threads > 0 && s - l >= 0.85 * threads) return "server workers: " + parts;
        if (g >= 0.85) return "GENERATOR: " + parts;
        return "server waits: " + parts;
    }
};

// The crypto pool (tacitd(8), --threads): the same signed ONLINE burst
// against one worker and one per core, batch signatures on and off, and
// push latency at a fixed rate with one worker and with one per core.
void part_f(const Options& opt, const BenchIdentity& bi, SignPool& pool) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const size_t pairs = 10;
    const int R = opt.runs;
    size_t n = scaled(opt, 1000, 20);
    size_t n_fixed = scaled(opt, opt.dm_rate * opt.dm_seconds, 10);
    double verify_floor = 0;  // the RSA-PSS verify of one request, in this process
    struct Measured {
        std::string name;
        double rps = 0, cpu_us = 0, loop_us = 0, per_batch = NAN;
        double p50 = NAN, p99 = NAN, pmax = NAN;
        std::string limit, fixed_limit;
        bool gen_limited = false;
        double gen = 0;
    };
    auto measure = [&](unsigned threads, bool batch_sign, bool latency) {
        auto flags = server_flags();
        flags.insert(flags.end(), {"--threads", std::to_string(threads), "--batch-sign", batch_sign ? "on" : "off"});
        Measured m;
        m.name = fmt::format("--threads {}{}", threads, batch_sign ? "" : " --batch-sign off");
        Tacitd t(opt, fmt::format("threads-{}{}", threads, batch_sign ? "" : "-nobatch"), flags);
        if (verify_floor == 0)
            verify_floor = measure_floor(bi, load_server_key(t.dir() + "/keys/server.key"), 64, 20).verify_us;
        DmUsers u = setup_dm(t, bi, pairs);
        drain_input(u.s, 1200);  // presence NOTIFYs of the logins
        drain_input(u.r, 50);
        // The burst from all 2 x pairs users, 4 requests outstanding each:
        // enough that a batch holds about 16 replies with a worker per core.
        std::vector<Peer*> burst = u.s;
        burst.insert(burst.end(), u.r.begin(), u.r.end());
        std::vector<double> rps, cpu, loop, per_batch;
        PoolLoad load;
        for (int i = 0; i < R; ++i) {
            fmt::print("(f) run {}/{}: {} pre-signed ONLINE requests at {}\n", i + 1, R, n, m.name);
            std::fflush(stdout);
            auto specs = online_bursts(t, burst, pool, n, 1);
            auto r = run_phase(specs[0]);
            check(r, "(f) ONLINE burst");
            rps.push_back(double(r.acked) / r.wall_s);
            cpu.push_back(r.server_threads_s * 1e6 / double(std::max<size_t>(1, r.acked)));
            loop.push_back(r.server_sched_s * 1e6 / double(std::max<size_t>(1, r.acked)));
            if (r.batches) per_batch.push_back(double(r.batched) / double(r.batches));
            load.add(r);
        }
        m.rps = median(rps), m.cpu_us = median(cpu), m.loop_us = median(loop);
        if (!per_batch.empty()) m.per_batch = median(per_batch);
        m.limit = load.limit(cores, threads);
        m.gen_limited = load.generator_limits(cores);
        m.gen = median(load.gen);
        if (!latency) return m;
        std::vector<double> p50, p99, pmax;
        PoolLoad fl;
        for (int i = 0; i < R; ++i) {
            fmt::print("(f) run {}/{}: {} direct messages at {}/s, {}\n", i + 1, R, n_fixed, opt.dm_rate, m.name);
            std::fflush(stdout);
            drain_input(u.s, 50);
            drain_input(u.r, 50);
            auto r = dm_run(t, u.s, u.r, pool, n_fixed, opt.dm_rate, 1, 512);
            check(r, "(f) fixed rate");
            p50.push_back(percentile(r.latency_ms, 50));
            p99.push_back(percentile(r.latency_ms, 99));
            pmax.push_back(percentile(r.latency_ms, 100));
            fl.add(r);
        }
        m.p50 = median(p50), m.p99 = median(p99), m.pmax = median(pmax);
        m.fixed_limit = fl.limit(cores, threads);
        return m;
    };
    Measured one = measure(1, true, true), all = measure(cores, true, true), unbatched = measure(cores, false, false);
    const double scaling = all.rps / one.rps;
    row("f", "signed requests/s, --threads 1", fmt::format("{:.0f}/s", one.rps), "-", "-", one.limit);
    row("f", "server CPU per signed request, --threads 1", fmt::format("{:.0f} us", one.cpu_us), "-", "-",
        fmt::format("{:.1f} replies per batch signature", one.per_batch));
    row("f", fmt::format("signed requests/s, --threads {}", cores), fmt::format("{:.0f}/s", all.rps), "-", "-",
        all.limit);
    row("f", fmt::format("server CPU per signed request, --threads {}", cores), fmt::format("{:.0f} us", all.cpu_us),
        "-", "-", fmt::format("{:.1f} replies per batch signature", all.per_batch));
    row("f", fmt::format("scaling --threads {} / --threads 1", cores), fmt::format("{:.2f}x", scaling),
        cores >= 2 ? ">= 1.8x" : "-", cores >= 2 ? verdict(scaling >= 1.8) : "-",
        all.gen_limited || one.gen_limited ? "the load generator limits a side (note)" : "");
    row("f", fmt::format("server CPU per signed request, --threads {} --batch-sign off", cores),
        fmt::format("{:.0f} us", unbatched.cpu_us), "-", "-", unbatched.limit);
    row("f", "CPU per request batch on / off", fmt::format("{:.2f}x", all.cpu_us / unbatched.cpu_us));
    // The loop thread's share is serial work: it bounds what more workers
    // can give (1 / loop CPU per request, whatever the cores).
    row("f", fmt::format("loop thread CPU per signed request, --threads 1 / {}", cores),
        fmt::format("{:.0f} / {:.0f} us", one.loop_us, all.loop_us), "-", "-",
        fmt::format("workers {:.0f} / {:.0f} us; the loop alone caps at {:.0f}/s", one.cpu_us - one.loop_us,
                    all.cpu_us - all.loop_us, 1e6 / std::max(1.0, all.loop_us)));
    row("f", "replies per batch signature (burst, batch on)", fmt::format("{:.1f}", all.per_batch), "~16", "-",
        fmt::format("--threads 1: {:.1f}", one.per_batch));
    row("f", "CPU per request (batch on) / RSA-verify floor", fmt::format("{:.2f}x", all.cpu_us / verify_floor),
        "<= 1.5x", verdict(all.cpu_us / verify_floor <= 1.5), fmt::format("verify floor {:.0f} us", verify_floor));
    row("f", fmt::format("push latency p50 / p99 at {}/s, --threads 1", opt.dm_rate),
        fmt::format("{:.2f} / {:.2f} ms", one.p50, one.p99), "-", "-",
        fmt::format("max {:.1f} ms; {}", one.pmax, one.fixed_limit));
    row("f", fmt::format("push latency p50 / p99 at {}/s, --threads {}", opt.dm_rate, cores),
        fmt::format("{:.2f} / {:.2f} ms", all.p50, all.p99), "p99 <= x1's", verdict(all.p99 <= one.p99),
        fmt::format("max {:.1f} ms; {}", all.pmax, all.fixed_limit));
    for (const Measured* m : {&one, &all, &unbatched})
        if (m->gen_limited)
            note("(f) {}: the LOAD GENERATOR is the limit (it used {:.0f}% of a core, with the machine's cores full "
                 "or its one loop saturated), so this row understates tacitd",
                 m->name, m->gen * 100);
    note("(f) the load generator (one epoll loop; requests pre-signed) runs on the same {} cores as tacitd. "
         "Server CPU is the sum of its threads' /proc/PID/task/*/schedstat (ns resolution); 'loop thread' is "
         "tacitd's event loop alone; the rest of its CPU is the pool's workers. 'other' is the rest of the machine (/proc/stat), work that is neither tacitd nor the bench. "
         "Replies per batch signature: replies carrying a batch proof over the distinct root signatures they "
         "carried. Latency: {} MSG2 at {}/s from {} senders, MSG2 sent -> message in the recipient's UPDATE1_R.",
         cores, n_fixed, opt.dm_rate, pairs);
}
}  // namespace

int main(int argc, char** argv) {
    Options opt;
    try {
        opt = parse(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "tacit-bench: {}\n", e.what());
        return 2;
    }
    install_cleanup(opt.tmp + "/pids");
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    char day[32] = "?";
    const time_t now = time(nullptr);
    if (tm t{}; gmtime_r(&now, &t)) strftime(day, sizeof day, "%Y-%m-%d %H:%M UTC", &t);
    fmt::print("tacit-bench: {}; {} cores, {}; load average {}; RLIMIT_NOFILE {}\n", day,
               std::thread::hardware_concurrency(), cpu_model(), loadavg(), (unsigned long long)rl.rlim_cur);
    fmt::print("tacit-bench: runs={} scale={} parts={} tacitd={}{}\n", opt.runs, opt.scale, opt.only, opt.tacitd,
               opt.wrap.empty() ? "" : " wrapped in: " + opt.wrap);
    std::fflush(stdout);
    int rc = 0;
    try {
        double t_start = mono_s();
        fmt::print("setup: generating the bench RSA-3072 identity\n");
        std::fflush(stdout);
        BenchIdentity bi = make_identity();
        SignPool pool(bi.id, opt.threads);
        const size_t pairs = 10;
        const int R = opt.runs;

        if (want(opt, 'a') || want(opt, 'b') || want(opt, 'd') || want(opt, 'e')) {
            Tacitd a(opt, "sync-on", server_flags());
            std::unique_ptr<Tacitd> b;
            auto flags_off = server_flags();
            flags_off.push_back("--sync");
            flags_off.push_back("off");
            if (want(opt, 'e')) b = std::make_unique<Tacitd>(opt, "sync-off", flags_off);
            fmt::print("setup: tacitd pid {} (sync on){}; registering and logging in {} users\n", a.pid(),
                       b ? fmt::format(", pid {} (--sync off)", b->pid()) : "", b ? 4 * pairs : 2 * pairs);
            std::fflush(stdout);
            DmUsers ua = setup_dm(a, bi, pairs);
            DmUsers ub;
            if (b) ub = setup_dm(*b, bi, pairs);

            // ------------------------------------------------------------ (a)
            if (want(opt, 'a')) {
                size_t n = scaled(opt, 1000, 20);
                auto server_key = load_server_key(a.dir() + "/keys/server.key");
                std::vector<Peer*> peers = ua.s;
                drain_input(peers, 1200);  // presence NOTIFYs of the logins
                // The real ONLINE_R size: ask once.
                msg::Online on;
                on.token = peers[0]->token;
                on.nonce = crypto::random_array<16>();
                auto probe = call(*peers[0], msg::encode_body(on), &pool.key(), msg::OnlineR::type);
                auto d = msg::decode<msg::OnlineR>(probe);
                size_t reply_len = d.signed_len;
                std::vector<double> floor_us, verify, sign, open, seal, cpu_us, sched_us, sched_ratio;
                Load load;
                const size_t chunks = 10;
                for (int i = 0; i < R; ++i) {
                    fmt::print("(a) run {}/{}: {} pre-signed ONLINE requests in {} bursts, each after a floor sample\n",
                               i + 1, R, n, chunks);
                    std::fflush(stdout);
                    auto specs = online_bursts(a, peers, pool, n, chunks);
                    std::vector<double> fl_chunk, v, sg, op, sl;
                    double cpu = 0, sched = 0;
                    size_t acked = 0;
                    for (auto& spec : specs) {
                        auto fl = measure_floor(bi, server_key, reply_len, 20);
                        fl_chunk.push_back(fl.total_us());
                        v.push_back(fl.verify_us), sg.push_back(fl.sign_us), op.push_back(fl.open_us),
                            sl.push_back(fl.seal_us);
                        auto r = run_phase(spec);
                        check(r, "(a) ONLINE burst");
                        cpu += r.server_cpu_s, sched += r.server_threads_s, acked += r.acked;
                        sched_ratio.push_back(r.server_threads_s * 1e6 / double(std::max<size_t>(1, r.acked)) /
                                              fl.total_us());
                        load.add(r);
                    }
                    floor_us.push_back(median(fl_chunk));
                    verify.push_back(median(v)), sign.push_back(median(sg)), open.push_back(median(op)),
                        seal.push_back(median(sl));
                    cpu_us.push_back(cpu * 1e6 / double(std::max<size_t>(1, acked)));
                    sched_us.push_back(sched * 1e6 / double(std::max<size_t>(1, acked)));
                }
                double fl = median(floor_us), cpu = median(cpu_us);
                row("a", "crypto floor per signed request", fmt::format("{:.0f} us", fl), "-", "-",
                    fmt::format("verify {:.0f} + sign {:.0f} + open {:.1f} + seal {:.1f} us", median(verify),
                                median(sign), median(open), median(seal)));
                row("a", fmt::format("server CPU per signed request (ONLINE x{})", n), fmt::format("{:.0f} us", cpu),
                    "-", "-", load.limit());
                row("a", "ratio server CPU / floor", fmt::format("{:.2f}x", cpu / fl), "<= 1.2x",
                    verdict(cpu / fl <= 1.2),
                    fmt::format("schedstat, all threads: {:.0f} us, burst-by-burst ratio {:.2f}x", median(sched_us),
                                median(sched_ratio)));
                note("(a) ONLINE_R carried {} user names ({} bytes before the signature); the floor is measured "
                     "in this process (thread CPU time, the server's own key file) right before each of the {} bursts; "
                     "the figures are medians.",
                     d.m.users.size(), reply_len, chunks * size_t(R));
            }

            // ------------------------------------------------------- (b),(e)
            size_t n_fixed = scaled(opt, opt.dm_rate * opt.dm_seconds, 10);
            size_t n_burst = scaled(opt, 1000, 20);
            const size_t enc = 512;
            struct Fixed {
                std::vector<double> rate, p50, p99, pmax, cpu_us, lag, ack99;
                Load load;
                size_t lost = 0;
            };
            auto fixed_run = [&](Tacitd& srv, DmUsers& u, Fixed& f, const char* tag, int i) {
                fmt::print("({}) run {}/{}: {} direct messages at {}/s{}\n", tag, i + 1, R, n_fixed, opt.dm_rate,
                           tag[0] == 'e' ? " with --sync off" : "");
                std::fflush(stdout);
                drain_input(u.s, 50);
                drain_input(u.r, 50);
                auto r = dm_run(srv, u.s, u.r, pool, n_fixed, opt.dm_rate, 1, enc);
                check(r, tag);
                f.rate.push_back(double(r.delivered) / r.wall_s);
                f.p50.push_back(percentile(r.latency_ms, 50));
                f.p99.push_back(percentile(r.latency_ms, 99));
                f.pmax.push_back(percentile(r.latency_ms, 100));
                f.ack99.push_back(percentile(r.ack_ms, 99));
                f.cpu_us.push_back(r.server_cpu_s * 1e6 / double(r.delivered ? r.delivered : 1));
                f.lag.push_back(r.max_send_lag_ms);
                f.load.add(r);
                f.lost += n_fixed - r.delivered;
            };
            struct Burst {
                std::vector<double> rate, rate_own, cpu_us, sys_us, p99;
                Load load;
            };
            auto burst_run = [&](Tacitd& srv, DmUsers& u, Burst& bu, const char* what, int i) {
                fmt::print("(e) run {}/{}: {} direct messages as fast as possible, {}\n", i + 1, R, n_burst, what);
                std::fflush(stdout);
                drain_input(u.s, 50);
                drain_input(u.r, 50);
                auto r = dm_run(srv, u.s, u.r, pool, n_burst, 0, 8, enc);
                check(r, "(e) burst");
                bu.rate.push_back(double(r.delivered) / r.wall_s);
                // Without the time tacitd was runnable but other processes
                // held both cores (it still includes time blocked in fsync).
                bu.rate_own.push_back(double(r.delivered) / std::max(1e-3, r.wall_s - r.server_runq_s));
                bu.cpu_us.push_back(r.server_cpu_s * 1e6 / double(r.delivered ? r.delivered : 1));
                bu.sys_us.push_back(r.server_sys_s * 1e6 / double(r.delivered ? r.delivered : 1));
                bu.load.add(r);
                bu.p99.push_back(percentile(r.latency_ms, 99));
            };
            if (want(opt, 'b')) {
                Fixed f;
                for (int i = 0; i < R; ++i) fixed_run(a, ua, f, "b", i);
                double p99 = median(f.p99);
                row("b", fmt::format("DMs delivered/s at {}/s offered", opt.dm_rate), fmt_num(median(f.rate), 1), "-",
                    f.lost ? "LOST" : "-", f.lost ? fmt::format("{} messages not delivered", f.lost) : "offered load");
                row("b", "push latency p50 (MSG2 sent -> in UPDATE1_R)", fmt::format("{:.2f} ms", median(f.p50)));
                row("b", "push latency p99", fmt::format("{:.2f} ms", p99), "<= 10 ms", verdict(p99 <= 10),
                    fmt::format("max {:.1f} ms; sender ack p99 {:.2f} ms", median(f.pmax), median(f.ack99)));
                row("b", "server CPU per delivered DM (durable)", fmt::format("{:.0f} us", median(f.cpu_us)), "-", "-",
                    fmt::format("server {:.0f}% busy, {:.0f}% waiting for a core", median(f.load.srv) * 100,
                                median(f.load.runq) * 100));
                note("(b) {} sender/recipient pairs, enc_msg {} B; each message is MSG2 (pre-signed) -> NOTIFY mail "
                     "-> UPDATE1 -> UPDATE1_R -> UPDATE2. Generator send lag max {:.1f} ms. A real client also sends "
                     "MSG1 (a second signed request) before each MSG2; the bench caches the key.",
                     pairs, enc, median(f.lag));
            }
            if (want(opt, 'e')) {
                Burst on, off;
                Fixed foff;
                for (int i = 0; i < R; ++i) {
                    // Interleaved so that noise from other work on the machine hits both alike.
                    burst_run(a, ua, on, "durable (sync on)", i);
                    burst_run(*b, ub, off, "--sync off", i);
                    fixed_run(*b, ub, foff, "e", i);
                }
                double ron = median(on.rate), roff = median(off.rate);
                double ron_own = median(on.rate_own), roff_own = median(off.rate_own);
                row("e", "DM throughput, durable commit (burst)", fmt::format("{:.0f} /s", ron), "-", "-",
                    on.load.limit());
                row("e", "DM throughput, --sync off (burst)", fmt::format("{:.0f} /s", roff), "-", "-",
                    off.load.limit());
                row("e", "durable / --sync off throughput", fmt::format("{:.0f}%", 100 * ron / roff), ">= 80%",
                    verdict(ron / roff >= 0.8),
                    fmt::format("server CPU/DM {:.0f} vs {:.0f} us", median(on.cpu_us), median(off.cpu_us)));
                row("e", "  the same without core contention (runq)", fmt::format("{:.0f}%", 100 * ron_own / roff_own),
                    ">= 80%", verdict(ron_own / roff_own >= 0.8),
                    fmt::format("{:.0f} vs {:.0f} /s over wall minus tacitd's run-queue wait", ron_own, roff_own));
                row("e", fmt::format("--sync off at {}/s: p50 / p99 latency", opt.dm_rate),
                    fmt::format("{:.2f} / {:.2f} ms", median(foff.p50), median(foff.p99)), "-", "-",
                    fmt::format("server CPU/DM {:.0f} us", median(foff.cpu_us)));
                note("(e) burst: {} messages, {} senders with 8 requests outstanding each; throughput counts messages "
                     "that reached the recipient (UPDATE1_R). Server CPU per DM in the kernel: {:.0f} us durable, "
                     "{:.0f} us --sync off.",
                     n_burst, pairs, median(on.sys_us), median(off.sys_us));
            }

            // ------------------------------------------------------------ (d)
            if (want(opt, 'd')) {
                const size_t members = 100;
                size_t batches = scaled(opt, 40, 2);
                fmt::print("(d) setup: group of {} members + sender\n", members);
                std::fflush(stdout);
                register_user(a, bi, "g_owner");
                for (size_t i = 0; i < members; ++i) register_user(a, bi, fmt::format("g_m{}", i));
                Peer owner = login(a, bi, "g_owner");
                test::GroupRecords records;  // each change carries its signed record
                {
                    msg::GroupCreate gc;
                    gc.token = owner.token;
                    gc.group = "bench";
                    gc.record = records.make(group::Kind::Create, "bench", "g_owner", "g_owner", bi.id, bi.bundle);
                    gc.nonce = crypto::random_array<16>();
                    auto d = msg::decode<msg::GroupCreateR>(
                        call(owner, msg::encode_body(gc), &pool.key(), msg::GroupCreateR::type));
                    if (d.m.status != proto::OK) throw std::runtime_error("group create: " + d.m.msg);
                    records.settle(d.m.status);
                }
                double t_add = mono_s(), cpu_add = a.cpu_s();
                for (size_t i = 0; i < members; ++i) {
                    msg::GroupAdd ga;
                    ga.token = owner.token;
                    ga.user = fmt::format("g_m{}", i);
                    ga.group = "bench";
                    ga.record = records.make(group::Kind::Add, "bench", "g_owner", ga.user, bi.id, bi.bundle);
                    ga.nonce = crypto::random_array<16>();
                    auto d = msg::decode<msg::GroupAddR>(
                        call(owner, msg::encode_body(ga), &pool.key(), msg::GroupAddR::type));
                    if (d.m.status != proto::OK) throw std::runtime_error("group add: " + d.m.msg);
                    records.settle(d.m.status);
                }
                double add_wall = mono_s() - t_add, add_cpu = a.cpu_s() - cpu_add;
                std::vector<Peer> mp;
                for (size_t i = 0; i < members; ++i) mp.push_back(login(a, bi, fmt::format("g_m{}", i)));
                std::vector<Peer*> m;
                for (auto& p : mp) m.push_back(&p);
                size_t sys = drain_mailbox(owner);
                for (auto* p : m) sys += drain_mailbox(*p);
                std::vector<double> rate, cpu_us, p99;
                Load load;
                for (int i = 0; i < R; ++i) {
                    fmt::print("(d) run {}/{}: {} group messages to {} members\n", i + 1, R, batches, members);
                    std::fflush(stdout);
                    drain_input(m, 50);
                    drain_input({&owner}, 50);
                    auto r = group_run(a, owner, m, "bench", pool, batches, enc);
                    check(r, "(d) fan-out");
                    rate.push_back(double(r.delivered) / r.wall_s);
                    cpu_us.push_back(r.server_cpu_s * 1e6 / double(r.delivered ? r.delivered : 1));
                    load.add(r);
                    p99.push_back(percentile(r.latency_ms, 99));
                }
                row("d", "group fan-out to 100 members: deliveries/s", fmt::format("{:.0f} /s", median(rate)), "-", "-",
                    load.limit());
                row("d", "server CPU per group delivery", fmt::format("{:.1f} us", median(cpu_us)), "-", "-",
                    fmt::format("delivery p99 {:.0f} ms after the batch was sent", median(p99)));
                note("(d) {} GROUP_MSG2_BATCH frames of {} parts, 4 outstanding at a time; a delivery = one member "
                     "holding the "
                     "message in an UPDATE1_R. Setup: 100 GROUP_ADDs took {:.1f} s ({:.1f} s server CPU; each add "
                     "P-256-signs a system entry for every member), {} system entries drained.",
                     batches, members, add_wall, add_cpu, sys);
            }
        }

        if (want(opt, 'f')) part_f(opt, bi, pool);

        // ---------------------------------------------------------------- (c)
        if (want(opt, 'c')) {
            int target = opt.idle_conns;
            Tacitd c(opt, "idle", server_flags());
            fmt::print("(c) opening {} logged-in connections (one run)\n", target);
            std::fflush(stdout);
            auto r = idle_run(opt, c, bi, target);
            double per_b = r.confirmed ? double(r.rss1_kb - r.rss0_kb) * 1024.0 / double(r.confirmed) : NAN;
            double per_anon = r.confirmed ? double(r.anon1_kb - r.anon0_kb) * 1024.0 / double(r.confirmed) : NAN;
            row("c", "idle logged-in connections held (1 run)", fmt::format("{}", r.confirmed), ">= 10000",
                verdict(r.confirmed >= 10000 && target >= 10000),
                fmt::format("{} opened, {} failed{}", r.opened, r.failed, r.error.empty() ? "" : ": " + r.error));
            row("c", "server RSS per idle connection", fmt::format("{:.0f} B", per_b), "<= 4096 B",
                verdict(per_b <= 4096),
                fmt::format("RssAnon {:.0f} B; VmRSS {} -> {} KiB", per_anon, r.rss0_kb, r.rss1_kb));
            double per_resume = r.server_cpu_s * 1e6 / double(std::max<size_t>(1, r.opened));
            row("c", "server CPU per RESUME + first PING", fmt::format("{:.0f} us", per_resume), "-", "-",
                fmt::format("{} connections in {:.1f} s", r.opened, r.wall_s));
            row("c", "PING round trip with all held: p50 / p99",
                fmt::format("{:.2f} / {:.2f} ms", percentile(r.ping_ms, 50), percentile(r.ping_ms, 99)));
        }

        print_table(opt);
        fmt::print("\ntotal bench time {:.0f} s; load average at the end {}\n", mono_s() - t_start, loadavg());
    } catch (const std::exception& e) {
        fmt::print(stderr, "tacit-bench: {}\n", e.what());
        if (!g_rows.empty()) print_table(opt);
        rc = 1;
    }
    return rc;
}
