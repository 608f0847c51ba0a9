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
	n := len(res)
	if mp.opts.Provenance {
		n++
	}
	b := &Bundle{ResourceType: "Bundle", Type: mp.opts.BundleType, Entry: make([]BundleEntry, n)}
	if !in.Now.IsZero() {
		b.Timestamp = fhirTime(in.Now.UTC())
	}
	reqs := make([]BundleRequest, n) // one allocation for every entry's request
	var targets []Reference
	if mp.opts.Provenance {
		targets = make([]Reference, len(res))
	}
	for i, r := range res {
		// In PUT mode the request URL is also how the Provenance refers
		// to the resource; read before entry may clear the id.
		b.Entry[i] = mp.entry(r, &reqs[i])
		if targets != nil {
			targets[i].Reference = reqs[i].URL // "Type/id" (see ref)
			if mp.opts.BundleMethod == MethodConditionalCreate {
				targets[i].Reference = b.Entry[i].FullURL
			}
		}
	}
	if targets != nil {
		prov := mp.provenance(in, res, targets)
		b.Entry[n-1] = mp.entry(prov, &reqs[n-1])
	}
	return b
}

// entry writes r with PUT to its deterministic id, or as a conditional
// create keyed on its identifier. Either way a retry never duplicates.
func (mp *Mapper) entry(r Resource, req *BundleRequest) BundleEntry {
	urls := r.entryURLs()
	e := BundleEntry{FullURL: urls.full, Resource: r, Request: req}
	if key := ""; mp.opts.BundleMethod == MethodConditionalCreate {
		if key = r.Key(); key != "" {
			r.setID("")
			cond := "identifier=" + url.QueryEscape(key)
			if s := r.subject(); s != "" {
				cond += "&subject=" + url.QueryEscape(s)
			}
			*req = BundleRequest{Method: "POST", URL: r.FHIRType(), IfNoneExist: cond}
			return e
		}
	}
	*req = BundleRequest{Method: "PUT", URL: urls.put}
	return e
}

// provenance records that this ohx version wrote these resources from this
// provider call at Now. Its id derives from its targets' types and ids, so
// re-publishing the same Bundle replaces it rather than adding another.
func (mp *Mapper) provenance(in Input, res []Resource, targets []Reference) *Provenance {
	h := newUUID5(ohxNamespace())
	h.WriteString("Provenance|")
	for i, r := range res {
		if i > 0 {
			h.WriteString(",")
		}
		h.WriteString(r.FHIRType())
		h.WriteString("/")
		h.WriteString(targetID(r, targets[i].Reference))
	}
	p := &Provenance{
		ResourceType: "Provenance",
		ID:           uuidString(h.Sum()),
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

// targetID is the id a Provenance target had when mapped: conditional
// create clears ids from the resources, but their references keep them.
func targetID(r Resource, ref string) string {
	if id := r.LogicalID(); id != "" {
		return id
	}
	return ref[strings.LastIndexAny(ref, "/:")+1:]
}

func sourceName(p health.Provider, source string) string {
	if source == "" {
		return string(p)
	}
	return string(p) + ":" + source
}
