// Command ohx relays wearable data (Withings; Fitbit through the Google
// Health API) into an EHR's FHIR R5 server. Run `ohx --help` for the
// subcommands.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // users' time zones must resolve even on hosts without zoneinfo
)

func main() {
	os.Exit(run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
