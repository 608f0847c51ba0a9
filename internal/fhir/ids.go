package fhir

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"time"
)

// Identifier and id formulas. They are part of ohx's contract with every FHIR
// server it has written to: changing one makes the next sync create
// duplicates instead of updating. docs/mapping.md documents each.

// dnsNamespace returns the RFC 4122 DNS namespace UUID,
// 6ba7b810-9dad-11d1-80b4-00c04fd430c8, which the original service used for
// every uuid5.
func dnsNamespace() [16]byte {
	return [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
}

// ohxNamespace returns the namespace of modern-mode ids,
// deca8f77-8981-553a-9acc-41d73068a295 = uuid5(DNS, "ohx-health.github.io").
// It is derived, not random, so anyone can recompute it from the docs; a test
// checks the derivation.
func ohxNamespace() [16]byte {
	return [16]byte{0xde, 0xca, 0x8f, 0x77, 0x89, 0x81, 0x55, 0x3a, 0x9a, 0xcc, 0x41, 0xd7, 0x30, 0x68, 0xa2, 0x95}
}

// uuid5 returns the RFC 4122 version 5 UUID of name in namespace ns, in its
// canonical text form. It matches Python's uuid.uuid5.
func uuid5(ns [16]byte, name string) string { return uuidString(uuid5Bytes(ns, name)) }

// uuidString formats u in the canonical 8-4-4-4-12 form.
func uuidString(u [16]byte) string {
	var buf [36]byte
	return string(appendUUID(buf[:0], u))
}

// appendUUID appends u in the canonical form.
func appendUUID(b []byte, u [16]byte) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:16])
	return append(b, buf[:]...)
}

func uuid5Bytes(ns [16]byte, name string) [16]byte { return uuid5Parts(ns, name) }

// uuid5Writer computes a version 5 UUID over a name written in pieces, for
// names too long to build in memory first (a Provenance's target list).
type uuid5Writer struct {
	h   hash.Hash
	buf []byte
}

func newUUID5(ns [16]byte) *uuid5Writer {
	w := &uuid5Writer{h: sha1.New(), buf: make([]byte, 0, 1024)}
	w.buf = append(w.buf, ns[:]...)
	return w
}

func (w *uuid5Writer) WriteString(s string) {
	if len(w.buf)+len(s) > cap(w.buf) {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
	if len(s) > cap(w.buf) {
		w.h.Write([]byte(s))
		return
	}
	w.buf = append(w.buf, s...)
}

func (w *uuid5Writer) Sum() [16]byte {
	w.h.Write(w.buf)
	var sum [sha1.Size]byte
	return uuid5Version(w.h.Sum(sum[:0]))
}

// uuid5Version takes the first 16 bytes of a SHA-1 digest and sets the
// version and variant bits.
func uuid5Version(sum []byte) [16]byte {
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u
}

// uuid5Parts is uuid5Bytes of the concatenation of parts, without building
// the concatenated string: ids are computed for every resource.
func uuid5Parts(ns [16]byte, parts ...string) [16]byte {
	var stack [256]byte
	b := append(stack[:0], ns[:]...)
	for _, p := range parts {
		b = append(b, p...)
	}
	sum := sha1.Sum(b)
	return uuid5Version(sum[:])
}

// joaat31 is the original service's "jenkins_hash" identifier: Bob Jenkins'
// one-at-a-time hash over the 32 bytes of SHA-256(s), every step masked to
// 31 bits. The mask is why results fit in 0…2³¹−1.
func joaat31(s string) uint32 { return joaat31Bytes([]byte(s)) }

func joaat31Bytes(s []byte) uint32 {
	const mask = 0x7FFFFFFF
	digest := sha256.Sum256(s)
	var h uint32
	for _, b := range digest {
		h = (h + uint32(b)) & mask
		h = (h + (h << 10)) & mask
		h ^= h >> 6
	}
	h = (h + (h << 3)) & mask
	h ^= h >> 11
	h = (h + (h << 15)) & mask
	return h
}

// pyISO formats t the way Python's datetime.isoformat(sep) prints an aware
// UTC datetime: microseconds only when non-zero, offset as +00:00.
func pyISO(t time.Time, sep byte) string {
	var buf [40]byte
	return string(appendPyISO(buf[:0], t, sep))
}

// appendPyISO appends pyISO(t, sep) to b.
func appendPyISO(b []byte, t time.Time, sep byte) []byte {
	t = t.UTC()
	b = t.AppendFormat(b, "2006-01-02")
	b = append(b, sep)
	b = t.AppendFormat(b, "15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		var d [7]byte // ".", then six digits, zero-padded
		d[0] = '.'
		for i := 6; i > 0; i-- {
			d[i] = byte('0' + us%10)
			us /= 10
		}
		b = append(b, d[:]...)
	}
	return append(b, "+00:00"...)
}

// pyMillisZ formats t like the original's strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]+"Z".
func pyMillisZ(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000") + "Z"
}

// LegacyIdentifierInput returns S, the string the original hashed into an
// Observation identifier: "{patient}:{isoformat(sep=' ')}:{code}".
func LegacyIdentifierInput(patient string, t time.Time, code string) string {
	return patient + ":" + pyISO(t, ' ') + ":" + code
}

// LegacyIdentifierValue returns the original's identifier value for S under
// strategy "jenkins_hash" (decimal JOAAT-31) or "modern" (uuid5 DNS).
func LegacyIdentifierValue(strategy, s string) string {
	if strategy == StrategyUUID {
		return uuid5(dnsNamespace(), s)
	}
	return strconv.FormatUint(uint64(joaat31(s)), 10)
}

// legacyNames returns LegacyObservationID and the entry URLs built from it,
// with no more than one allocation (see modernNames), and the identifier
// value LegacyIdentifierValue gives for idCode.
func legacyNames(strategy, patient string, t time.Time, code, idCode, suffix string) (string, entryURLs, string) {
	var buf [256]byte
	ns := dnsNamespace()
	b := append(buf[:0], ns[:]...)
	b = append(b, "Observation:"...)
	b = append(b, patient...)
	b = append(b, ':')
	b = appendPyISO(b, t, 'T')
	b = append(b, ':')
	b = append(b, code...)
	b = append(b, suffix...)
	sum := sha1.Sum(b)
	id, urls := entryNames("Observation", uuid5Version(sum[:]))

	// The identifier input S = "{patient}:{isoformat(sep=' ')}:{idCode}{suffix}".
	b = append(buf[:0], ns[:]...)
	s0 := len(b)
	b = append(b, patient...)
	b = append(b, ':')
	b = appendPyISO(b, t, ' ')
	b = append(b, ':')
	b = append(b, idCode...)
	b = append(b, suffix...)
	if strategy == StrategyUUID {
		sum := sha1.Sum(b)
		return id, urls, uuidString(uuid5Version(sum[:]))
	}
	return id, urls, strconv.FormatUint(uint64(joaat31Bytes(b[s0:])), 10)
}

// LegacyObservationID returns the original's Observation.id:
// uuid5(DNS, "Observation:{patient}:{isoformat()}:{code}{suffix}").
func LegacyObservationID(patient string, t time.Time, code, suffix string) string {
	return uuid5(dnsNamespace(), "Observation:"+patient+":"+pyISO(t, 'T')+":"+code+suffix)
}

// DeviceID returns Device.id, uuid5(DNS, "Device:{provider}:{device id}"),
// the original's formula, kept in both modes so a migrating site's Devices
// are updated in place.
func DeviceID(provider, deviceID string) string {
	return uuid5(dnsNamespace(), "Device:"+provider+":"+deviceID)
}

// DeviceAssociationID returns DeviceAssociation.id,
// uuid5(DNS, "DeviceAssociation:{provider}:{device id}:{patient}").
func DeviceAssociationID(provider, deviceID, patient string) string {
	return uuid5(dnsNamespace(), "DeviceAssociation:"+provider+":"+deviceID+":"+patient)
}

// ModernID returns the id of a modern-mode resource:
// uuid5(ohx namespace, "{type}|{patient}|{system}|{value}") where system and
// value are the resource's identifier. The patient is part of the name so the
// same provider record linked to two patients can never collide.
func ModernID(resourceType, patient, system, value string) string {
	return uuidString(uuid5Parts(ohxNamespace(), resourceType, "|", patient, "|", system, "|", value))
}

// observationNames returns a modern Observation's identifier value v, the
// id ModernID gives it and the entry URLs, cut from one string
// "{v}urn:uuid:{id}Observation/{id}": mapping names thousands of
// Observations per batch, and this makes four strings one allocation.
func observationNames(patient string, v []byte) (value, id string, urls entryURLs) {
	var in [256]byte
	ns := ohxNamespace()
	b := append(in[:0], ns[:]...)
	b = append(b, "Observation|"...)
	b = append(b, patient...)
	b = append(b, '|')
	b = append(b, SystemOHXObservationID...)
	b = append(b, '|')
	b = append(b, v...)
	sum := sha1.Sum(b)
	u := uuid5Version(sum[:])

	const urn = len("urn:uuid:")
	var out [256]byte
	o := append(out[:0], v...)
	o = append(o, "urn:uuid:"...)
	o = appendUUID(o, u)
	o = append(o, "Observation/"...)
	o = appendUUID(o, u)
	s := string(o)
	n := len(v)
	return s[:n], s[n+urn : n+urn+36], entryURLs{full: s[n : n+urn+36], put: s[n+urn+36:]}
}

// entryNames returns the id of u and the entry URLs built from it, cut from
// one string "urn:uuid:{id}{type}/{id}": one allocation for three strings.
func entryNames(resourceType string, u [16]byte) (string, entryURLs) {
	const urn = len("urn:uuid:")
	var buf [128]byte
	b := append(buf[:0], "urn:uuid:"...)
	b = appendUUID(b, u)
	b = append(b, resourceType...)
	b = append(b, '/')
	b = appendUUID(b, u)
	s := string(b)
	return s[urn : urn+36], entryURLs{full: s[:urn+36], put: s[urn+36:]}
}
