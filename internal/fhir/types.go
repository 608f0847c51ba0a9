package fhir

// These are ohx's own small R5 structs for what it writes, not a general FHIR
// model: fields exist only when ohx fills them, and JSON field order follows
// the R5 element order so output reads like the specification's examples.

// Coding is an R5 Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is an R5 CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Quantity is an R5 Quantity. Value has no omitempty: zero steps is a value.
type Quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

// Reference is an R5 Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Identifier is an R5 Identifier.
type Identifier struct {
	Use      string     `json:"use,omitempty"`
	System   string     `json:"system,omitempty"`
	Value    string     `json:"value,omitempty"`
	Assigner *Reference `json:"assigner,omitempty"`
}

// Period is an R5 Period; Start and End are FHIR dateTime strings.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Meta is an R5 Meta.
type Meta struct {
	Source  string   `json:"source,omitempty"`
	Profile []string `json:"profile,omitempty"`
	Tag     []Coding `json:"tag,omitempty"`
}

// Annotation is an R5 Annotation.
type Annotation struct {
	Time string `json:"time,omitempty"`
	Text string `json:"text"`
}

// SampledData is an R5 SampledData: a regular series of samples. R5 replaced
// R4's period with interval plus intervalUnit; servers reject the R4 form.
type SampledData struct {
	Origin       Quantity `json:"origin"`
	Interval     float64  `json:"interval"`
	IntervalUnit string   `json:"intervalUnit"`
	Factor       float64  `json:"factor,omitempty"`
	LowerLimit   *float64 `json:"lowerLimit,omitempty"`
	UpperLimit   *float64 `json:"upperLimit,omitempty"`
	Dimensions   int      `json:"dimensions"`
	Data         Samples  `json:"data,omitzero"`
}

// Component is an R5 Observation.component.
type Component struct {
	Code                 CodeableConcept   `json:"code"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	ValueString          string            `json:"valueString,omitempty"`
	ValueInteger         *int              `json:"valueInteger,omitempty"`
	ValueSampledData     *SampledData      `json:"valueSampledData,omitempty"`
	Interpretation       []CodeableConcept `json:"interpretation,omitempty"`
}

// Observation is an R5 Observation as ohx writes it in modern mode.
type Observation struct {
	ResourceType         string            `json:"resourceType"`
	ID                   string            `json:"id,omitempty"`
	Meta                 *Meta             `json:"meta,omitempty"`
	Identifier           []Identifier      `json:"identifier,omitempty"`
	Status               string            `json:"status"`
	Category             []CodeableConcept `json:"category,omitempty"`
	Code                 CodeableConcept   `json:"code"`
	Subject              *Reference        `json:"subject,omitempty"`
	EffectiveDateTime    string            `json:"effectiveDateTime,omitempty"`
	EffectivePeriod      *Period           `json:"effectivePeriod,omitempty"`
	Issued               string            `json:"issued,omitempty"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	ValueSampledData     *SampledData      `json:"valueSampledData,omitempty"`
	Interpretation       []CodeableConcept `json:"interpretation,omitempty"`
	Note                 []Annotation      `json:"note,omitempty"`
	Method               *CodeableConcept  `json:"method,omitempty"`
	Device               *Reference        `json:"device,omitempty"`
	DerivedFrom          []Reference       `json:"derivedFrom,omitempty"`
	Component            []Component       `json:"component,omitempty"`

	// Storage the mapping fills in place, so that an Observation costs one
	// allocation rather than one per part; encoding ignores it.
	ident [1]Identifier
	qty   Quantity
	urls  entryURLs
}

// setQuantity sets valueQuantity.
func (o *Observation) setQuantity(q Quantity) {
	o.qty = q
	o.ValueQuantity = &o.qty
}

// entryURLs are how a Bundle entry names a resource: its fullUrl
// ("urn:uuid:{id}") and the URL it is PUT to ("{type}/{id}").
type entryURLs struct{ full, put string }

func newEntryURLs(typ, id string) entryURLs {
	return entryURLs{full: "urn:uuid:" + id, put: typ + "/" + id}
}

// DeviceVersion is an R5 Device.version.
type DeviceVersion struct {
	Type  *CodeableConcept `json:"type,omitempty"`
	Value string           `json:"value"`
}

// DeviceProperty is an R5 Device.property.
type DeviceProperty struct {
	Type                 CodeableConcept  `json:"type"`
	ValueQuantity        *Quantity        `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
}

// Device is an R5 Device.
type Device struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	DisplayName  string            `json:"displayName,omitempty"`
	Status       string            `json:"status,omitempty"`
	Manufacturer string            `json:"manufacturer,omitempty"`
	ModelNumber  string            `json:"modelNumber,omitempty"`
	Type         []CodeableConcept `json:"type,omitempty"`
	Version      []DeviceVersion   `json:"version,omitempty"`
	Property     []DeviceProperty  `json:"property,omitempty"`
	Note         []Annotation      `json:"note,omitempty"`
}

// DeviceAssociation is an R5 DeviceAssociation: which patient uses which
// device. R5 marks it draft and R6 restructures it, so ohx keeps it to the
// elements that survive: device, subject, status, category, period.
type DeviceAssociation struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	Device       Reference         `json:"device"`
	Category     []CodeableConcept `json:"category,omitempty"`
	Status       CodeableConcept   `json:"status"`
	StatusReason []CodeableConcept `json:"statusReason,omitempty"`
	Subject      *Reference        `json:"subject,omitempty"`
	Period       *Period           `json:"period,omitempty"`
}

// ProvenanceAgent is an R5 Provenance.agent.
type ProvenanceAgent struct {
	Type *CodeableConcept `json:"type,omitempty"`
	Who  Reference        `json:"who"`
}

// ProvenanceEntity is an R5 Provenance.entity.
type ProvenanceEntity struct {
	Role string    `json:"role"`
	What Reference `json:"what"`
}

// Provenance is an R5 Provenance: which ohx version wrote which resources,
// from which provider call, when.
type Provenance struct {
	ResourceType string             `json:"resourceType"`
	ID           string             `json:"id,omitempty"`
	Target       []Reference        `json:"target"`
	Recorded     string             `json:"recorded,omitempty"`
	Agent        []ProvenanceAgent  `json:"agent"`
	Entity       []ProvenanceEntity `json:"entity,omitempty"`
}

// BundleRequest is an R5 Bundle.entry.request.
type BundleRequest struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	IfNoneExist string `json:"ifNoneExist,omitempty"`
}

// BundleEntry is an R5 Bundle.entry. Resource is one of this package's
// resource structs (or its legacy form).
type BundleEntry struct {
	FullURL  string         `json:"fullUrl,omitempty"`
	Resource Resource       `json:"resource"`
	Request  *BundleRequest `json:"request,omitempty"`
}

// Bundle is an R5 Bundle of type transaction or batch.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Meta         *Meta         `json:"meta,omitempty"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// Resource is what a Bundle entry holds: any resource this package builds.
// The methods let Bundle building place, reference and group resources
// without knowing their concrete types.
type Resource interface {
	// FHIRType returns the FHIR resourceType.
	FHIRType() string
	// LogicalID returns the resource id.
	LogicalID() string
	// Key returns the identifier used for conditional create, "system|value".
	Key() string
	// Refs returns the ids ("Type/id") of the resources this one references
	// inside the same publication, so a Bundle never separates them.
	Refs() []string
	// setID replaces the id; conditional create sends resources without one.
	setID(id string)
	// entryURLs returns the resource's fullUrl and PUT URL.
	entryURLs() entryURLs
	// subject returns the subject reference, which conditional create adds
	// to the identifier so a record re-linked to another patient never
	// matches the first patient's resource.
	subject() string
}

func (o *Observation) subject() string {
	if o.Subject == nil {
		return ""
	}
	return o.Subject.Reference
}
func (d *Device) subject() string { return "" }
func (a *DeviceAssociation) subject() string {
	if a.Subject == nil {
		return ""
	}
	return a.Subject.Reference
}
func (p *Provenance) subject() string        { return "" }
func (o *LegacyObservation) subject() string { return o.Subject.Reference }

func (o *Observation) entryURLs() entryURLs {
	if o.urls.full != "" && o.ID != "" {
		return o.urls
	}
	return newEntryURLs("Observation", o.ID)
}
func (d *Device) entryURLs() entryURLs            { return newEntryURLs("Device", d.ID) }
func (a *DeviceAssociation) entryURLs() entryURLs { return newEntryURLs("DeviceAssociation", a.ID) }
func (p *Provenance) entryURLs() entryURLs        { return newEntryURLs("Provenance", p.ID) }
func (o *LegacyObservation) entryURLs() entryURLs {
	if o.urls.full != "" && o.ID != "" {
		return o.urls
	}
	return newEntryURLs("Observation", o.ID)
}

func (o *Observation) setID(id string)       { o.ID = id }
func (d *Device) setID(id string)            { d.ID = id }
func (a *DeviceAssociation) setID(id string) { a.ID = id }
func (p *Provenance) setID(id string)        { p.ID = id }
func (o *LegacyObservation) setID(id string) { o.ID = id }

// FHIRType returns "Observation".
func (o *Observation) FHIRType() string { return "Observation" }

// LogicalID returns the id.
func (o *Observation) LogicalID() string { return o.ID }

// Key returns the first identifier as "system|value".
func (o *Observation) Key() string { return identifierKey(o.Identifier) }

// Refs returns the Device and derivedFrom Observations this one references.
func (o *Observation) Refs() []string {
	var refs []string
	if o.Device != nil && o.Device.Reference != "" {
		refs = append(refs, o.Device.Reference)
	}
	for _, r := range o.DerivedFrom {
		refs = append(refs, r.Reference)
	}
	return refs
}

// FHIRType returns "Device".
func (d *Device) FHIRType() string { return "Device" }

// LogicalID returns the id.
func (d *Device) LogicalID() string { return d.ID }

// Key returns the first identifier as "system|value".
func (d *Device) Key() string { return identifierKey(d.Identifier) }

// Refs returns nil: a Device references nothing ohx writes.
func (d *Device) Refs() []string { return nil }

// FHIRType returns "DeviceAssociation".
func (a *DeviceAssociation) FHIRType() string { return "DeviceAssociation" }

// LogicalID returns the id.
func (a *DeviceAssociation) LogicalID() string { return a.ID }

// Key returns the first identifier as "system|value".
func (a *DeviceAssociation) Key() string { return identifierKey(a.Identifier) }

// Refs returns the associated Device.
func (a *DeviceAssociation) Refs() []string { return []string{a.Device.Reference} }

// FHIRType returns "Provenance".
func (p *Provenance) FHIRType() string { return "Provenance" }

// LogicalID returns the id.
func (p *Provenance) LogicalID() string { return p.ID }

// Key returns "": a Provenance is always written with PUT to its id.
func (p *Provenance) Key() string { return "" }

// Refs returns nil; Provenance is placed by Bundle building itself.
func (p *Provenance) Refs() []string { return nil }

func identifierKey(ids []Identifier) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0].System + "|" + ids[0].Value
}
