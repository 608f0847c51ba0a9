package fhir

import (
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// SystemDeviceAssociationStatus is the R5 DeviceAssociation status CodeSystem.
const SystemDeviceAssociationStatus = "http://hl7.org/fhir/deviceassociation-status"

// SystemDeviceAssociationStatusReason is the R5 DeviceAssociation status
// reason CodeSystem.
const SystemDeviceAssociationStatusReason = "http://hl7.org/fhir/deviceassociation-status-reason"

// deviceSystem is the Device identifier system, the original service's, kept
// in both modes so Devices it wrote are found and updated, not duplicated.
func deviceSystem(p health.Provider) string { return "https://api." + string(p) + ".com/device-id" }

func associationSystem(p health.Provider) string {
	return "https://api." + string(p) + ".com/device-association"
}

// providerName is the provider's display name ("Withings").
func providerName(p health.Provider) string {
	s := string(p)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// checkDevice rejects a device without the identity its ids derive from.
func checkDevice(j *job, d *health.Device, i int) error {
	if d.Provider == "" {
		d.Provider = j.provider
	}
	if d.Provider == "" || d.ID == "" {
		return health.Errorf(health.KindInvalid, "device %d: no provider or no device id", i)
	}
	return nil
}

// device maps a provider device to a Device and the DeviceAssociation that
// says this patient uses it, one group.
func (mp *Mapper) device(j *job, d *health.Device) {
	if !d.Ended.IsZero() {
		// Only the association changes; the Device keeps what was
		// published of it, and history is never deleted.
		j.put(mp.endedAssociation(j, d))
		return
	}
	dev := mp.deviceResource(j, d)
	j.putGroup(dev, mp.association(j, d, dev.ID))
}

// endedAssociation is the association of a device the patient no longer
// uses: R5 has no "detached" status, so the status is unknown, the reason
// disconnected, and the period ends. It refers to the Device by identifier
// in conditional-create mode, where the Device's id is the server's.
func (mp *Mapper) endedAssociation(j *job, d *health.Device) *DeviceAssociation {
	deviceID := DeviceID(string(d.Provider), d.ID)
	a := mp.association(j, d, deviceID)
	if mp.opts.BundleMethod == MethodConditionalCreate {
		a.Device = Reference{Identifier: &Identifier{System: deviceSystem(d.Provider), Value: d.ID}}
	}
	a.Status = CodeableConcept{Coding: []Coding{{System: SystemDeviceAssociationStatus, Code: "unknown", Display: "Unknown"}}}
	a.StatusReason = []CodeableConcept{{Coding: []Coding{{System: SystemDeviceAssociationStatusReason, Code: "disconnected", Display: "Disconnected"}}}}
	if a.Period == nil {
		a.Period = &Period{}
	}
	a.Period.End = fhirTime(d.Ended)
	return a
}

func (mp *Mapper) deviceResource(j *job, d *health.Device) *Device {
	name := strings.TrimSpace(d.Manufacturer + " " + d.Model)
	dev := &Device{
		ResourceType: "Device",
		ID:           DeviceID(string(d.Provider), d.ID),
		Identifier: []Identifier{{Use: "official", System: deviceSystem(d.Provider), Value: d.ID,
			Assigner: &Reference{Display: providerName(d.Provider)}}},
		DisplayName:  name,
		Status:       "active",
		Manufacturer: d.Manufacturer,
		ModelNumber:  d.Model,
		Type:         []CodeableConcept{mp.deviceType(d.Type)},
	}
	if d.Firmware != "" {
		dev.Version = []DeviceVersion{{Type: &CodeableConcept{Text: "Firmware version"}, Value: d.Firmware}}
	}
	if d.Battery >= 0 && d.Battery <= 100 && (d.Battery > 0 || d.BatteryText != "") {
		dev.Property = []DeviceProperty{{
			Type:          CodeableConcept{Coding: []Coding{ohx("battery-level", "Battery level")}, Text: "Battery level"},
			ValueQuantity: quantity(float64(d.Battery), "%", "%"),
		}}
	}
	if mp.opts.Mode == ModeLegacy {
		dev.Note = []Annotation{{Time: pyMillisZ(j.now), Text: "Device synchronized from " + providerName(d.Provider) + " Health Platform"}}
	}
	return dev
}

func (mp *Mapper) deviceType(t health.DeviceType) CodeableConcept {
	row, ok := mp.devTypes[t]
	if !ok {
		row = mp.devTypes[health.DeviceUnknown]
	}
	cc := CodeableConcept{Coding: []Coding{row.SNOMED}, Text: row.SNOMED.Display}
	if row.MDC.Code != "" {
		cc.Coding = append(cc.Coding, row.MDC)
	}
	return cc
}

func (mp *Mapper) association(j *job, d *health.Device, deviceID string) *DeviceAssociation {
	// The original identified an association by the device alone; modern
	// mode adds the patient so conditional create can never match another
	// patient's association with the same device.
	value := d.ID
	if mp.opts.Mode == ModeModern {
		value += ":" + j.patient
	}
	a := &DeviceAssociation{
		ResourceType: "DeviceAssociation",
		ID:           DeviceAssociationID(string(d.Provider), d.ID, j.patient),
		Identifier: []Identifier{{Use: "official", System: associationSystem(d.Provider), Value: value,
			Assigner: &Reference{Display: providerName(d.Provider)}}},
		Device:   Reference{Reference: mp.ref("Device", deviceID)},
		Category: []CodeableConcept{{Text: "Home use"}},
		Status:   CodeableConcept{Coding: []Coding{{System: SystemDeviceAssociationStatus, Code: "attached", Display: "Attached"}}},
		Subject:  j.subject,
	}
	switch {
	case !d.FirstSession.IsZero():
		a.Period = &Period{Start: fhirTime(d.FirstSession)}
	case mp.opts.Mode == ModeLegacy:
		a.Period = &Period{Start: pyMillisZ(j.now)}
	}
	return a
}
