package fhir

import (
	"net/url"
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// Stream maps in and hands emit each Bundle as soon as it is full, so a
// batch of any size holds one Bundle's resources in memory at a time, on top
// of the batch itself. Bundles have at most Options.BundleSize entries,
// Provenance included; a resource and the resources it references always
// share a Bundle, so a transaction can resolve every reference, and a group
// larger than the size gets a Bundle of its own. Output is the same for the
// same input and Now.
//
// Within a Bundle one id is written once, by the resource mapped last (two
// records can share an id in legacy mode). An error from emit stops the
// mapping and is returned as it is; Stream keeps no reference to a Bundle it
// has emitted.
func (mp *Mapper) Stream(in Input, emit func(*Bundle) error) error {
	limit := mp.opts.BundleSize
	if mp.opts.Provenance {
		limit--
	}
	p := &packer{mp: mp, in: &in, emit: emit, limit: limit, at: map[resourceKey]int{}}
	if err := mp.walk(in, p.add); err != nil {
		return err
	}
	return p.flush()
}

// Bundles is Stream collecting every Bundle, for callers that want them all.
func (mp *Mapper) Bundles(in Input) ([]*Bundle, error) {
	var out []*Bundle
	if err := mp.Stream(in, func(b *Bundle) error { out = append(out, b); return nil }); err != nil {
		return nil, err
	}
	return out, nil
}

// packer fills one Bundle at a time from the groups walk hands it.
type packer struct {
	mp    *Mapper
	in    *Input
	emit  func(*Bundle) error
	limit int
	cur   []Resource
	at    map[resourceKey]int // index in cur of each resource
}

func (p *packer) add(group []Resource) error {
	if len(p.cur) > 0 && len(p.cur)+len(group) > p.limit {
		if err := p.flush(); err != nil {
			return err
		}
	}
	for _, r := range group {
		key := resourceKey{r.FHIRType(), r.LogicalID()}
		if i, ok := p.at[key]; ok {
			p.cur[i] = r
			continue
		}
		p.at[key] = len(p.cur)
		p.cur = append(p.cur, r)
	}
	return nil
}

func (p *packer) flush() error {
	if len(p.cur) == 0 {
		return nil
	}
	b := p.mp.bundle(*p.in, p.cur)
	clear(p.cur)
	p.cur = p.cur[:0]
	clear(p.at)
	return p.emit(b)
}

func (mp *Mapper) bundle(in Input, res []Resource) *Bundle {
	b := &Bundle{ResourceType: "Bundle", Type: mp.opts.BundleType, Entry: make([]BundleEntry, 0, len(res)+1)}
	if !in.Now.IsZero() {
		b.Timestamp = fhirTime(in.Now.UTC())
	}
	var prov *Provenance
	if mp.opts.Provenance {
		prov = mp.provenance(in, res) // before entry() may clear ids
	}
	for _, r := range res {
		b.Entry = append(b.Entry, mp.entry(r))
	}
	if prov != nil {
		b.Entry = append(b.Entry, mp.entry(prov))
	}
	return b
}

// entry writes r with PUT to its deterministic id, or as a conditional
// create keyed on its identifier. Either way a retry never duplicates.
func (mp *Mapper) entry(r Resource) BundleEntry {
	id, typ := r.LogicalID(), r.FHIRType()
	e := BundleEntry{FullURL: "urn:uuid:" + id, Resource: r}
	if key := r.Key(); mp.opts.BundleMethod == MethodConditionalCreate && key != "" {
		r.setID("")
		cond := "identifier=" + url.QueryEscape(key)
		if s := r.subject(); s != "" {
			cond += "&subject=" + url.QueryEscape(s)
		}
		e.Request = &BundleRequest{Method: "POST", URL: typ, IfNoneExist: cond}
		return e
	}
	e.Request = &BundleRequest{Method: "PUT", URL: typ + "/" + id}
	return e
}

// provenance records that this ohx version wrote these resources from this
// provider call at Now. Its id derives from its targets, so re-publishing
// the same Bundle replaces it rather than adding another.
func (mp *Mapper) provenance(in Input, res []Resource) *Provenance {
	parts := make([]string, 0, 4*len(res)+1)
	parts = append(parts, "Provenance|")
	targets := make([]Reference, len(res))
	for i, r := range res {
		if i > 0 {
			parts = append(parts, ",")
		}
		parts = append(parts, r.FHIRType(), "/", r.LogicalID())
		targets[i] = Reference{Reference: mp.ref(r.FHIRType(), r.LogicalID())}
	}
	p := &Provenance{
		ResourceType: "Provenance",
		ID:           uuidString(uuid5Parts(ohxNamespace(), parts...)),
		Target:       targets,
		Agent: []ProvenanceAgent{{
			Type: &CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", Code: "assembler", Display: "Assembler"}}},
			Who:  Reference{Display: "ohx " + mp.opts.Version},
		}},
	}
	if !in.Now.IsZero() {
		p.Recorded = fhirTime(in.Now.UTC())
	}
	provider := in.Batch.Provider
	if provider == "" && len(in.Batch.Measurements) > 0 {
		provider = in.Batch.Measurements[0].Provider
	}
	if provider != "" || in.Batch.Source != "" {
		p.Entity = []ProvenanceEntity{{Role: "source", What: Reference{
			Identifier: &Identifier{System: SystemOHXSource, Value: sourceName(provider, in.Batch.Source)},
			Display:    strings.TrimSpace(providerName(provider) + " " + in.Batch.Source),
		}}}
	}
	return p
}

func sourceName(p health.Provider, source string) string {
	if source == "" {
		return string(p)
	}
	return string(p) + ":" + source
}
