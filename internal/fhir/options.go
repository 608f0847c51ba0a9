package fhir

import (
	"fmt"
	"strconv"
	"strings"
)

// The values of the enumerated options. The strings are what users write in
// the environment.
const (
	ModeModern = "modern"
	ModeLegacy = "legacy"

	BundleTransaction = "transaction"
	BundleBatch       = "batch"

	MethodPut               = "put"
	MethodConditionalCreate = "conditional-create"

	IntradaySampled = "sampled" // one Observation per hour with valueSampledData
	IntradaySamples = "samples" // one Observation per sample
	IntradayOff     = "off"     // series are not published

	StrategyJenkins = "jenkins_hash" // legacy identifier: JOAAT-31 of SHA-256
	StrategyUUID    = "modern"       // legacy identifier: uuid5 (DNS namespace)

	DeviceInfoExtension = "extension" // legacy: device id and model as extensions
	DeviceInfoReference = "reference" // legacy: Observation.device reference
)

// Options configure the mapping. The zero value is not useful; start from
// DefaultOptions or LoadOptions.
type Options struct {
	// Mode is ModeModern (valid R5, vital-signs profiles) or ModeLegacy
	// (the original service's output).
	Mode string
	// BundleType is BundleTransaction or BundleBatch.
	BundleType string
	// BundleMethod is MethodPut (PUT to the deterministic id) or
	// MethodConditionalCreate (POST with If-None-Exist on the identifier).
	BundleMethod string
	// BundleSize is the most entries one Bundle holds; a resource and the
	// resources it references are never split, so a group larger than this
	// gets a Bundle of its own.
	BundleSize int
	// Intraday is how series are published: IntradaySampled,
	// IntradaySamples or IntradayOff.
	Intraday string
	// Provenance adds one Provenance per Bundle.
	Provenance bool
	// Version is ohx's version, recorded as the Provenance agent. It is set
	// by the caller, not the environment.
	Version string

	// The legacy switches, named after the original's environment variables.
	// They apply in legacy mode only.

	IdentifierStrategy    string // FHIR_IDENTIFIER_STRATEGY: StrategyJenkins or StrategyUUID
	IdentifierSystem      string // FHIR_IDENTIFIER_SYSTEM: template with {provider}
	ObservationStatus     string // FHIR_OBSERVATION_STATUS
	IncludeIssued         bool   // FHIR_INCLUDE_ISSUED
	DeviceInfoMode        string // FHIR_DEVICE_INFO_MODE
	IncludeDeviceModelExt bool   // FHIR_INCLUDE_DEVICE_MODEL_EXT
	LOINCSteps            string // FHIR_LOINC_STEPS
	ECGEmitHR             bool   // FHIR_ECG_EMIT_HR
	ObsLinking            bool   // FHIR_ENABLE_OBS_LINKING
}

// DefaultOptions returns the defaults of mode: modern writes transaction
// Bundles with Provenance; legacy writes batch Bundles without it, as close
// to the original as a correct mapping allows.
func DefaultOptions(mode string) Options {
	o := Options{
		Mode: ModeModern, BundleType: BundleTransaction, BundleMethod: MethodPut,
		BundleSize: 200, Intraday: IntradaySampled, Provenance: true, Version: "dev",
		IdentifierStrategy: StrategyJenkins, IdentifierSystem: "https://api.{provider}.com/health-data",
		ObservationStatus: "registered", IncludeIssued: true, DeviceInfoMode: DeviceInfoExtension,
		IncludeDeviceModelExt: true, LOINCSteps: "41950-7", ECGEmitHR: true, ObsLinking: true,
	}
	if mode == ModeLegacy {
		o.Mode, o.BundleType, o.Provenance, o.Intraday = ModeLegacy, BundleBatch, false, IntradayOff
	}
	return o
}

// envVar is one setting: its ohx name, the original's alias (if any), and
// how to apply a value to Options.
type envVar struct {
	name, alias string
	apply       func(o *Options, v string) error
}

// envVars is the table of settings, in the order Describe prints them.
// OHX_FHIR_MODE comes first because the other defaults depend on it.
func envVars() []envVar {
	return []envVar{
		{"OHX_FHIR_MODE", "FHIR_FORMAT_MODE", oneOf(func(o *Options) *string { return &o.Mode }, ModeModern, ModeLegacy)},
		{"OHX_FHIR_BUNDLE_TYPE", "FHIR_BUNDLE_TYPE", oneOf(func(o *Options) *string { return &o.BundleType }, BundleTransaction, BundleBatch)},
		{"OHX_FHIR_BUNDLE_METHOD", "FHIR_BUNDLE_METHOD", setMethod},
		{"OHX_FHIR_BUNDLE_SIZE", "", setSize},
		{"OHX_INTRADAY", "", oneOf(func(o *Options) *string { return &o.Intraday }, IntradaySampled, IntradaySamples, IntradayOff)},
		{"OHX_FHIR_PROVENANCE", "", boolean(func(o *Options) *bool { return &o.Provenance })},
		{"OHX_FHIR_IDENTIFIER_STRATEGY", "FHIR_IDENTIFIER_STRATEGY", oneOf(func(o *Options) *string { return &o.IdentifierStrategy }, StrategyJenkins, StrategyUUID)},
		{"OHX_FHIR_IDENTIFIER_SYSTEM", "FHIR_IDENTIFIER_SYSTEM", setSystem},
		{"OHX_FHIR_OBSERVATION_STATUS", "FHIR_OBSERVATION_STATUS", oneOf(func(o *Options) *string { return &o.ObservationStatus },
			"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown")},
		{"OHX_FHIR_INCLUDE_ISSUED", "FHIR_INCLUDE_ISSUED", boolean(func(o *Options) *bool { return &o.IncludeIssued })},
		{"OHX_FHIR_DEVICE_INFO_MODE", "FHIR_DEVICE_INFO_MODE", oneOf(func(o *Options) *string { return &o.DeviceInfoMode }, DeviceInfoExtension, DeviceInfoReference)},
		{"OHX_FHIR_INCLUDE_DEVICE_MODEL_EXT", "FHIR_INCLUDE_DEVICE_MODEL_EXT", boolean(func(o *Options) *bool { return &o.IncludeDeviceModelExt })},
		{"OHX_FHIR_LOINC_STEPS", "FHIR_LOINC_STEPS", oneOf(func(o *Options) *string { return &o.LOINCSteps }, "41950-7", "55423-8")},
		{"OHX_FHIR_ECG_EMIT_HR", "FHIR_ECG_EMIT_HR", boolean(func(o *Options) *bool { return &o.ECGEmitHR })},
		{"OHX_FHIR_ENABLE_OBS_LINKING", "FHIR_ENABLE_OBS_LINKING", boolean(func(o *Options) *bool { return &o.ObsLinking })},
	}
}

// LoadOptions reads the FHIR settings from the environment. An OHX_ name
// wins over the original's alias. It returns the options with every valid
// setting applied and one error per invalid value, each naming the variable
// and the accepted values.
func LoadOptions(getenv func(string) string) (Options, []error) {
	vars := envVars()
	lookup := func(v envVar) (string, string) {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			return v.name, s
		}
		if v.alias != "" {
			if s := strings.TrimSpace(getenv(v.alias)); s != "" {
				return v.alias, s
			}
		}
		return "", ""
	}
	var errs []error
	o := DefaultOptions(ModeModern)
	if name, s := lookup(vars[0]); name != "" {
		if err := vars[0].apply(&o, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		o = DefaultOptions(o.Mode)
	}
	for _, v := range vars[1:] {
		name, s := lookup(v)
		if name == "" {
			continue
		}
		if err := v.apply(&o, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if o.BundleMethod == MethodConditionalCreate && o.BundleType == BundleBatch {
		errs = append(errs, fmt.Errorf("OHX_FHIR_BUNDLE_METHOD: conditional-create needs a transaction bundle, because a batch does not resolve references between its entries"))
	}
	return o, errs
}

// Describe returns the effective settings as (environment name, value) pairs
// for `ohx config`. It names no secret: there are none here.
func (o Options) Describe() [][2]string {
	return [][2]string{
		{"OHX_FHIR_MODE", o.Mode},
		{"OHX_FHIR_BUNDLE_TYPE", o.BundleType},
		{"OHX_FHIR_BUNDLE_METHOD", o.BundleMethod},
		{"OHX_FHIR_BUNDLE_SIZE", strconv.Itoa(o.BundleSize)},
		{"OHX_INTRADAY", o.Intraday},
		{"OHX_FHIR_PROVENANCE", strconv.FormatBool(o.Provenance)},
		{"OHX_FHIR_IDENTIFIER_STRATEGY", o.IdentifierStrategy},
		{"OHX_FHIR_IDENTIFIER_SYSTEM", o.IdentifierSystem},
		{"OHX_FHIR_OBSERVATION_STATUS", o.ObservationStatus},
		{"OHX_FHIR_INCLUDE_ISSUED", strconv.FormatBool(o.IncludeIssued)},
		{"OHX_FHIR_DEVICE_INFO_MODE", o.DeviceInfoMode},
		{"OHX_FHIR_INCLUDE_DEVICE_MODEL_EXT", strconv.FormatBool(o.IncludeDeviceModelExt)},
		{"OHX_FHIR_LOINC_STEPS", o.LOINCSteps},
		{"OHX_FHIR_ECG_EMIT_HR", strconv.FormatBool(o.ECGEmitHR)},
		{"OHX_FHIR_ENABLE_OBS_LINKING", strconv.FormatBool(o.ObsLinking)},
	}
}

func oneOf(field func(*Options) *string, allowed ...string) func(*Options, string) error {
	return func(o *Options, v string) error {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				*field(o) = a
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

func boolean(field func(*Options) *bool) func(*Options, string) error {
	return func(o *Options, v string) error {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			*field(o) = true
		case "0", "false", "no", "off":
			*field(o) = false
		default:
			return fmt.Errorf("want true or false")
		}
		return nil
	}
}

// setMethod accepts ohx's names and the original's HTTP verbs: its PUT is
// ohx's put, its POST (create) becomes conditional create, which is the
// idempotent form of it.
func setMethod(o *Options, v string) error {
	switch strings.ToLower(v) {
	case MethodPut:
		o.BundleMethod = MethodPut
	case MethodConditionalCreate, "post":
		o.BundleMethod = MethodConditionalCreate
	default:
		return fmt.Errorf("want put or conditional-create")
	}
	return nil
}

func setSize(o *Options, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 || n > 10000 {
		return fmt.Errorf("want a whole number from 2 to 10000")
	}
	o.BundleSize = n
	return nil
}

func setSystem(o *Options, v string) error {
	if !strings.Contains(v, "{provider}") || strings.ContainsAny(v, " \t|") {
		return fmt.Errorf("want a URI template containing {provider}")
	}
	o.IdentifierSystem = v
	return nil
}
