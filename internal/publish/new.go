package publish

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// New returns the sink cfg asks for: a ServerSink when cfg.BaseURL is set,
// else a DirSink writing to cfg.OutputDir. hc carries every request to the
// FHIR and token servers (ohx never uses http.DefaultClient); metrics are
// registered on reg. New does no network I/O; call Verify before serving.
func New(cfg Config, hc *http.Client, reg prometheus.Registerer, logger *slog.Logger) (Sink, error) {
	if cfg.BaseURL != "" {
		s, err := NewServerSink(cfg, hc, reg, logger)
		if err != nil {
			return nil, err // not a nil *ServerSink inside a non-nil Sink
		}
		return s, nil
	}
	dir := cfg.OutputDir
	if dir == "" {
		dir = DefaultConfig().OutputDir
	}
	d, err := NewDirSink(dir, reg, logger)
	if err != nil {
		return nil, err
	}
	return d, nil
}
