#include "tui/ui/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tui/ui/login_screen.hpp"
#include "tui/ui/session.hpp"
#include "tui/ui/terminal.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

int run_app(const client::Options& opt_in, const client::Config& cfg) {
    client::Options opt = opt_in;
    Terminal* term = nullptr;  // set once the screen is up; the callback runs inside connect()
    bool key_declined = false;
    opt.confirm_new_server = [&term, &key_declined, server = opt_in.server](const std::string& fp) {
        key_declined = !(term && confirm_server(*term, server, fp));
        return !key_declined;
    };
    std::unique_ptr<client::Client> c;
    try {
        c = std::make_unique<client::Client>(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tacit: %s\n", e.what());
        return 2;
    }
    // The config loader has checked the value.
    set_width_rule(choose_width_rule(cfg.width, std::getenv("TMUX"), std::getenv("TERM")).value_or(WidthRule::Sum));
    std::string failure;  // said once the terminal is restored
    try {
        Terminal t(cfg.colors);
        term = &t;
        auto outcome = run_login(t, *c, opt, cfg, key_declined);
        if (outcome == LoginOutcome::LoggedIn) {
            Session s(t, *c, opt, cfg);
            int rc = s.run();
            term = nullptr;
            return rc;
        }
        term = nullptr;
        failure = outcome == LoginOutcome::KeyDeclined ? "the server key was not accepted; nothing was pinned"
                  : outcome == LoginOutcome::KeyChanged ? "the key of " + opt.server + " does not match the pinned one"
                  : outcome == LoginOutcome::NoServer   ? "could not connect to " + opt.server
                                                        : "";
    } catch (const std::exception& e) {
        // The terminal is restored by now (Terminal's destructor ran).
        std::fprintf(stderr, "tacit: %s\n", e.what());
        return 1;
    }
    if (failure.empty()) return 0;
    std::fprintf(stderr, "tacit: %s\n", failure.c_str());
    return 1;
}

}  // namespace tacit::ui
