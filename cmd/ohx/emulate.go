package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
)

// runEmulate serves a provider emulator, for demos and manual testing: a
// faithful stand-in for a provider nobody can reach from here.
func runEmulate(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "withings" {
		return usageError{errors.New("usage: ohx emulate withings [flags] (see ohx emulate withings --help)")}
	}
	fs := newFlagSet(e, "emulate withings", "emulate withings [flags]\n\nServes a Withings emulator: OAuth consent (auto-consent as --user), token endpoint,\nMeasure, Measure v2, Sleep v2, Heart v2, User v2 and Notify, with data generated from --seed\nand the 120 requests/minute application quota. Point ohx at it with\nOHX_WITHINGS_API_URL=http://ADDR and OHX_WITHINGS_AUTH_URL=http://ADDR"+withingstest.AuthorizePath+".")
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	user := fs.String("user", "1001", "the Withings userid who consents")
	clientID := fs.String("client-id", "ohx-demo", "the only accepted application client id")
	clientSecret := fs.String("client-secret", "ohx-demo-secret", "the only accepted application secret")
	seed := fs.Uint64("seed", 1, "seed of the generated data")
	tz := fs.String("tz", "Europe/Amsterdam", "the user's time zone")
	every := fs.Duration("every", 0, "generate a new measurement and notify subscribers this often (0: never)")
	quota := fs.Int("quota", 120, "application requests per minute (negative: unlimited)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError{fmt.Errorf("--tz: %w", err)}
	}
	emu := withingstest.New(withingstest.Config{Seed: *seed, ClientID: *clientID, ClientSecret: *clientSecret, QuotaPerMinute: *quota})
	emu.AddUser(withingstest.User{ID: *user, Location: loc})
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *every > 0 {
		go generate(ctx, e, emu, *user, *every)
	}
	fmt.Fprintf(e.stderr, "Withings emulator on http://%s (user %s, client id %s)\n", *addr, *user, *clientID)
	return emu.ListenAndServe(ctx, *addr)
}

// generate makes new data in turn (weigh-in, blood pressure, activity,
// sleep, ECG) and lets the emulator notify subscribers.
func generate(ctx context.Context, e env, emu *withingstest.Server, user string, every time.Duration) {
	applis := []int{1, 4, 16, 44, 54}
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			a := applis[i%len(applis)]
			if err := emu.GenerateNew(ctx, user, a, now); err != nil {
				fmt.Fprintf(e.stderr, "generate appli %d: %v\n", a, err)
			}
		}
	}
}
