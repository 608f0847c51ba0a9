package fhir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ohx-health/ohx/internal/health"
)

// docPath is docs/mapping.md, generated from the tables in this package so
// that the documentation can never disagree with the code.
var docPath = filepath.Join("..", "..", "docs", "mapping.md")

// TestMappingDocUpToDate fails when docs/mapping.md is stale; run
// `go test ./internal/fhir -run TestMappingDocUpToDate -update` to rewrite it.
func TestMappingDocUpToDate(t *testing.T) {
	t.Parallel()
	got := mappingMarkdown()
	if *update {
		if err := os.WriteFile(docPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("read %s (run with -update): %v", docPath, err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("docs/mapping.md is stale; run go test ./internal/fhir -run TestMappingDocUpToDate -update (-committed +generated):\n%s", diff)
	}
}

func codings(cs []Coding) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("`%s` %s \"%s\"", c.Code, systemName(c.System), c.Display))
	}
	return strings.Join(parts, " + ")
}

func systemName(s string) string {
	return map[string]string{
		SystemLOINC: "LOINC", SystemMDC: "MDC", SystemOHX: "ohx", SystemSNOMED: "SNOMED CT", SystemISO11073: "ISO 11073",
		SystemOHXRhythm: "ohx-rhythm", SystemInterp: "v3-ObservationInterpretation",
	}[s]
}

func mappingMarkdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# FHIR R5 mapping")
	w("")
	w("<!-- Generated from internal/fhir (tables in table.go, legacy.go, options.go). Do not edit by hand:")
	w("     go test ./internal/fhir -run TestMappingDocUpToDate -update -->")
	w("")
	w("%s", introText)
	w("## Modern mode: one Observation per measurement")
	w("")
	w("System URIs: LOINC `%s`, MDC `%s`, UCUM `%s`, ohx `%s`.", SystemLOINC, SystemMDC, SystemUCUM, SystemOHX)
	w("")
	w("| Kind | Category | Code (system) | Unit (UCUM) | effective[x] | Source of the code |")
	w("|---|---|---|---|---|---|")
	units := map[health.Kind]string{}
	for _, ki := range health.KindInfos() {
		units[ki.Kind] = ki.Description
	}
	for _, r := range modernTable() {
		eff := "dateTime, or Period when the record has an end"
		if r.Period {
			eff = "Period (local day, or the interval)"
		}
		unit := "`" + r.Unit + "`"
		if r.Unit == "" {
			unit = "–"
		}
		w("| `%s` (%s) | %s | %s | %s | %s | %s |", r.Kind, units[r.Kind], r.Category, codings(r.Codes), unit, eff, r.Source)
	}
	writeDetails(w)
	w("%s", shapesText)
	w("%s", idsText)
	writeLegacy(w)
	writeSettings(w)
	return b.String()
}

func writeDetails(w func(string, ...any)) {
	w("")
	w("### Components")
	w("")
	w("| Role | Code | Unit | Source |")
	w("|---|---|---|---|")
	for _, c := range componentTable() {
		unit := "`" + c.Unit + "`"
		if c.Unit == "" {
			unit = "–"
		}
		w("| %s | %s | %s | %s |", c.Role, codings(c.Codes), unit, c.Source)
	}
	w("")
	w("### Rhythm classification (ECG and PPG)")
	w("")
	w("Coded in `%s` with the v3 interpretation; the provider's own code is kept in the text.", SystemOHXRhythm)
	w("")
	w("| Rhythm | Display | Modern interpretation | Legacy interpretation |")
	w("|---|---|---|---|")
	for _, r := range rhythmTable() {
		w("| `%s` | %s | %s | %s %s |", r.Rhythm, r.Display, orDash(r.Interp), orDash(r.LegacyCode), r.LegacyDisplay)
	}
	w("")
	w("### Device.type")
	w("")
	w("| Device type | SNOMED CT (the original's table, §7.2) | ISO 11073 (R5 device-type value set) |")
	w("|---|---|---|")
	for _, d := range deviceTypeTable() {
		iso := "–"
		if d.MDC.Code != "" {
			iso = fmt.Sprintf("`%s` %s", d.MDC.Code, d.MDC.Display)
		}
		w("| `%s` | `%s` %s | %s |", d.Type, d.SNOMED.Code, d.SNOMED.Display, iso)
	}
	w("")
}

func writeLegacy(w func(string, ...any)) {
	w("## Legacy mode")
	w("")
	w("%s", legacyIntro)
	w("| Kind | LOINC | Display (the original's) | Category | Unit text | UCUM |")
	w("|---|---|---|---|---|---|")
	for _, l := range legacyTable("41950-7 (`FHIR_LOINC_STEPS`)") {
		w("| `%s` | %s | %s | %s | %s | %s |", l.Kind, l.Code, l.Name, l.Category, orDash(l.UnitText), orDash(l.UCUM))
	}
	w("")
	w("%s", differencesText)
}

func writeSettings(w func(string, ...any)) {
	w("## Settings")
	w("")
	w("An `OHX_` name wins over the original's alias. Legacy switches apply in legacy mode only.")
	w("")
	w("| Variable | Alias (original) | Default modern | Default legacy |")
	w("|---|---|---|---|")
	mod, leg := DefaultOptions(ModeModern).Describe(), DefaultOptions(ModeLegacy).Describe()
	aliases := map[string]string{}
	for _, v := range envVars() {
		aliases[v.name] = v.alias
	}
	for i, kv := range mod {
		w("| `%s` | %s | `%s` | `%s` |", kv[0], orDash(aliases[kv[0]]), kv[1], leg[i][1])
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

const introText = `ohx maps each provider record (package health) to FHIR R5. Two modes:

* **modern** (default): valid R5, following the R5 vital-signs profiles where they apply; status ` + "`final`" + `;
  transaction Bundles; one Provenance per Bundle.
* **legacy**: what the original Django service wrote (reference/original-inventory.md §6), for sites migrating from
  it, so that its identifiers keep matching data it already stored. Its bugs are not reproduced (see below).

Where no standard code fits, ohx writes text plus a code from its own CodeSystem rather than a wrong LOINC.
`

const shapesText = `### Shapes

* **Blood pressure**: panel 85354-9 with systolic/diastolic components and no value of its own. The pulse the cuff
  took becomes a separate heart-rate Observation (8867-4, identifier suffix ` + "`:pulse`" + `).
* **Sleep**: one Observation per session, value = time asleep in minutes, effectivePeriod = the session; components
  for the durations, awakenings (valueInteger), efficiency and the provider's score when reported. Stage segments are
  summarised as durations. Unreported fields are omitted, never written as zero.
* **ECG**: MDC 131328, category procedure; component lead I (131329) with valueSampledData using the R5 elements
  (origin in the recording's unit µV or mV, interval = 1000/rate ms, factor = the provider's scale, dimensions 1,
  data = every raw sample, never truncated); the rhythm as a coded component plus ` + "`interpretation`" + `; the
  derived heart rate (147842 + 8867-4) and the QRS/PR/QT/QTc durations as components.
* **Intraday series** (` + "`OHX_INTRADAY`" + `): ` + "`sampled`" + ` (default) writes one Observation per UTC hour with
  valueSampledData (origin 0, interval in s, gaps written ` + "`E`" + `, hours without any sample skipped) and an
  effectivePeriod from the first sample to the end of the last; ` + "`samples`" + ` writes one Observation per sample;
  ` + "`off`" + ` writes none. Per-interval totals (steps 55423-8 and other activity kinds) are always one Observation
  per interval with an effectivePeriod.
* **Daily totals**: effectivePeriod of the user's local day: the decoder's local midnight to midnight when it knows the
  zone, otherwise a date-only Period (start = end = the date), which FHIR reads as that whole day.
* **Device**: identifier, displayName, manufacturer, modelNumber, type, version (firmware), property battery level
  (%). **DeviceAssociation**: device, subject, status ` + "`attached`" + ` (` + SystemDeviceAssociationStatus + `),
  category "Home use", period.start = the first session when known. When the provider stops listing a device, or the
  patient unlinks, the association alone is re-published with status ` + "`unknown`" + ` (R5 has no "detached"),
  statusReason ` + "`disconnected`" + ` (` + SystemDeviceAssociationStatusReason + `) and period.end; nothing is
  deleted. An Observation references its Device literally when the Device is in the same publication, otherwise by
  identifier (so it never dangles and never overwrites a fuller Device with a stub), or by the model name alone
  (device.display) when the provider names a model but no device (the Google Health API).
* **Provenance**: one per Bundle, targeting every resource in it; agent = ohx and its version (type assembler); entity
  = the provider call (identifier ` + "`" + SystemOHXSource + "|{provider}:{source}`" + `); recorded = publication time.
  Switch off with ` + "`OHX_FHIR_PROVENANCE=false`" + `.
* **Method**: device-measured vs entered by hand is recorded in Observation.method (ohx codes).

`

const idsText = `## Identifiers and ids

Ids and identifiers derive from the provider-record identity, never from the value: a value corrected at the
provider updates the same resource.

| Resource | identifier | id |
|---|---|---|
| Observation (modern) | system ` + "`" + SystemOHXObservationID + "`" + `, value ` + "`{provider}:{kind}:{record id}[:{suffix}]`" + ` (suffix: ` + "`pulse`" + `, the sample time ` + "`YYYYMMDDThhmmssZ`" + `, or the hour ` + "`YYYYMMDDThhZ`" + `) | uuid5(ns, ` + "`Observation|{patient}|{system}|{value}`" + `), ns = uuid5(DNS, ` + "`ohx-health.github.io`" + `) = deca8f77-8981-553a-9acc-41d73068a295 |
| Observation (legacy) | system ` + "`FHIR_IDENTIFIER_SYSTEM`" + ` (default ` + "`https://api.{provider}.com/health-data`" + `), value JOAAT-31(SHA-256(S)) in decimal, or uuid5(DNS, S) with ` + "`FHIR_IDENTIFIER_STRATEGY=modern`" + `; S = ` + "`{patient}:{DT}:{loinc}`" + `, DT = Python ` + "`isoformat(sep=' ')`" + ` in UTC (` + "`2024-01-15 10:00:00+00:00`" + `, microseconds only when non-zero); blood pressure uses ` + "`85354-9:8462-4`" + ` as the code | uuid5(DNS, ` + "`Observation:{patient}:{isoformat()}:{loinc}`" + `), ECG heart rate with suffix ` + "`:from-ecg`" + ` |
| Device (both) | ` + "`https://api.{provider}.com/device-id`" + ` \| provider device id | uuid5(DNS, ` + "`Device:{provider}:{device id}`" + `) |
| DeviceAssociation | ` + "`https://api.{provider}.com/device-association`" + ` \| device id (legacy) or ` + "`{device id}:{patient}`" + ` (modern) | uuid5(DNS, ` + "`DeviceAssociation:{provider}:{device id}:{patient}`" + `) |
| Provenance | – | uuid5(ns, ` + "`Provenance|`" + ` + the targets' ` + "`Type/id`" + ` joined by commas) |

Daily values in legacy mode are keyed at 00:00 UTC of the provider-local date, as the original keyed them.

## Bundles

* Type ` + "`transaction`" + ` (modern default) or ` + "`batch`" + ` (legacy default).
* Method ` + "`put`" + ` (default): PUT to ` + "`Type/{id}`" + `; or ` + "`conditional-create`" + `: POST with
  ` + "`ifNoneExist: identifier={system}|{value}`" + `, the resource sent without id and references written as the
  entries' ` + "`urn:uuid:`" + ` fullUrls (which only a transaction resolves, so that method requires transaction).
* At most ` + "`OHX_FHIR_BUNDLE_SIZE`" + ` entries (default 200) per Bundle, Provenance included. A resource and the
  resources it references (Device ↔ DeviceAssociation ↔ Observation, ECG ↔ derived heart rate) are never split; a group
  larger than the limit gets a Bundle of its own.
* Bundles are built one at a time as the mapping fills them and published as they are built, so a sync of any size
  holds one Bundle in memory. A Device of the batch travels with the measurements that refer to it.
* Within a Bundle, two records that map to one id (possible in legacy mode, whose id has no record in it) are
  written once, by the record mapped last. Across Bundles both are sent: with PUT the later wins, with
  conditional create the first does.

`

const legacyIntro = `Kinds in this table get the original's skeleton (§6.2): status ` + "`FHIR_OBSERVATION_STATUS`" + ` (default
` + "`registered`" + `), ` + "`issued`" + `, meta tags, the ` + "`obtained-from`" + ` / ` + "`external-device-id`" + ` /
` + "`device-model`" + ` extensions (or a device reference with ` + "`FHIR_DEVICE_INFO_MODE=reference`" + `), the legacy
identifier, and a note. ECG keeps the shape the mobile app reads: LOINC 8601-7, waveform in ` + "`component[0]`" + `
(µV, ±3300 limits), classification as valueString, interpretation N/DET/IND, and a separate heart-rate Observation with
` + "`derivedFrom`" + ` (` + "`FHIR_ECG_EMIT_HR`" + `, ` + "`FHIR_ENABLE_OBS_LINKING`" + `). Kinds the original never wrote
are emitted in modern form in legacy mode too. Intraday series are off by default in legacy mode (the original wrote
none).

`

const differencesText = `### Deliberate differences from the original (its bugs are not ported)

1. Heart-rate unit code is ` + "`/min`" + `, not ` + "`{beats}/min`" + ` (unit text stays ` + "`bpm`" + `).
2. The ECG waveform is never truncated (the original kept the first 10,000 samples); mV-scaled recordings (Google) are
   converted to µV with a correct factor (the original multiplied by Fitbit's divisor).
3. Withings sleep is a valueQuantity of minutes asleep, never a Python dict repr in valueString; sleep component codes
   are the real LOINC sleep durations (the original labelled 93831-6, deep sleep, as total sleep time).
4. Withings respiration rate is respiratory rate (9279-1), never R-R intervals (8637-1); Fitbit RMSSD is RMSSD, never
   R-R intervals or SDNN.
5. Weight from any provider is in kg (the original published Fitbit pounds as kg).
6. Notes say "Synced from {Provider} Health Platform." without the Python repr of the metadata.
7. The ECG-derived heart rate's identifier input carries ` + "`:from-ecg`" + ` like its id, so it no longer collides with a
   regular heart rate at the same second (the original dropped one of the two as a duplicate).
8. Interpretation codes use the v3-ObservationInterpretation CodeSystem URI (the original wrote a ValueSet URI) and
   carry no relative ` + "`Issued`" + ` extension; the ` + "`issued`" + ` element already says it.
9. Device is R5: no ` + "`name`" + ` string, ` + "`deviceName`" + `, invented ` + "`safety`" + ` code or
   ` + "`valueDateTime`" + ` property; it is written with PUT to its uuid5 id, never created again on every sync.
10. Daily values carry a date (` + "`2024-01-15`" + `) as effectiveDateTime, not midnight UTC, while their identifiers keep
    the original's midnight-UTC key so deduplication still matches.
11. Skin temperature is 39106-0, not body temperature; fat mass and pulse wave velocity (never published by the
    original) use the modern mapping.
12. Kept on purpose although non-conformant, because consumers match on them: the relative extension URLs
    (` + "`obtained-from`" + `, ` + "`external-device-id`" + `, ` + "`device-model`" + `) and status ` + "`registered`" + `.

Known limit kept from the original's formula: legacy Observation ids contain neither the provider nor the value, so a
Withings and a Fitbit daily-steps total for the same patient and date share an id; their identifiers differ by
system. Use ` + "`OHX_FHIR_BUNDLE_METHOD=conditional-create`" + ` (with a transaction) if both providers feed one patient.

`
