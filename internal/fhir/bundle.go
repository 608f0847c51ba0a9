package fhir

import (
	"net/url"
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// Bundles maps in and packs the resources into Bundles of at most
// Options.BundleSize entries, Provenance included. A resource and the
// resources it references always share a Bundle, so a transaction can
// resolve every reference; a group larger than the size gets a Bundle of its
// own. The result is the same for the same input and Now.
func (mp *Mapper) Bundles(in Input) ([]*Bundle, error) {
	res, err := mp.Resources(in)
	if err != nil {
		return nil, err
	}
	limit := mp.opts.BundleSize
	if mp.opts.Provenance {
		limit--
	}
	var out []*Bundle
	var cur []Resource
	flush := func() {
		if len(cur) > 0 {
			out = append(out, mp.bundle(in, cur))
			cur = nil
		}
	}
	for _, g := range mp.groups(res) {
		if len(cur)+len(g) > limit {
			flush()
		}
		cur = append(cur, g...)
	}
	flush()
	return out, nil
}

// groups partitions resources into the sets that reference each other,
// keeping the order in which each set first appears. Resources are matched on
// their ids, which are UUIDs and so unique across types.
func (mp *Mapper) groups(res []Resource) [][]Resource {
	parent := make([]int, len(res))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	var index map[string]int
	for i, r := range res {
		for _, ref := range r.Refs() {
			if index == nil {
				index = make(map[string]int, len(res))
				for k, r := range res {
					index[r.LogicalID()] = k
				}
			}
			if k, ok := index[ref[strings.LastIndexAny(ref, "/:")+1:]]; ok {
				a, b := find(i), find(k)
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	out := make([][]Resource, 0, len(res))
	slot := make(map[int]int)
	for i, r := range res {
		root := find(i)
		if root == i && index == nil {
			out = append(out, res[i:i+1])
			continue
		}
		k, seen := slot[root]
		if !seen {
			k = len(out)
			slot[root] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], r)
	}
	return out
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
