package io.github.usbd4j.samples.tool;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.InterfaceAssociation;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.audio.Uac1Descriptors;
import io.github.usbd4j.samples.uvc.UvcDescriptors;
import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code usbd list} shows of a device, for a driver author (the {@code lsusb -v} facts that matter
 * to an isochronous driver): speed, configurations, interfaces with every alternate setting, endpoints
 * with type, direction, {@code wMaxPacketSize} decoded, the interval as a period, isochronous
 * synchronization and usage types, bytes per service interval ({@link Endpoints}), UAC1 and UVC class
 * summaries, the CE calls that would open each endpoint of the active configuration, and for isochronous
 * ones the WinUSB calls and the {@code usbd stream} line. The same facts go to the text and the JSON form.
 */
final class DeviceReport {
    private DeviceReport() {}

    /** One endpoint's facts. */
    private record EndpointFacts(
            UsbEndpointDescriptor d,
            String direction,
            String type,
            int packetBytes,
            int transactions,
            String period,
            long periodMicros,
            String sync,
            String usage,
            int bytesPerInterval,
            String problem) {}

    private static EndpointFacts facts(UsbEndpoint ep, UsbSpeed speed) {
        UsbEndpointDescriptor d = ep.descriptor();
        String type = switch (d.transferType()) {
            case 1 -> "isochronous";
            case 2 -> "bulk";
            case 3 -> "interrupt";
            default -> "control";
        };
        int transactions = speed == UsbSpeed.HIGH && d.transferType() % 2 == 1 ? d.transactionsPerMicroframe() : 1;
        String period = null;
        long micros = 0;
        int perInterval = -1;
        String problem = null;
        if (d.transferType() == 1 || d.transferType() == 3) {
            try {
                int p = Endpoints.servicePeriod(d, speed);
                micros = speed.usesMicroframes() ? 125L * p : 1000L * p;
                period = micros % 1000 == 0 ? (micros / 1000) + " ms" : micros + " us";
                perInterval = Endpoints.bytesPerServiceInterval(ep, speed);
            } catch (IllegalArgumentException e) {
                problem = e.getMessage() + " at " + DeviceView.speedName(speed);
            }
        }
        String sync = null;
        String usage = null;
        if (d.isIsochronous()) {
            sync = Endpoints.SyncType.of(d).name().toLowerCase(Locale.ROOT);
            usage = Endpoints.UsageType.of(d).name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
        return new EndpointFacts(
                d,
                d.isIn() ? "IN" : "OUT",
                type,
                Endpoints.maxPacketPayload(d, speed),
                transactions,
                period,
                micros,
                sync,
                usage,
                perInterval,
                problem);
    }

    /** The CE calls that open and stream an endpoint. */
    private static String ceCalls(UsbInterface alt, EndpointFacts f) {
        var id = alt.descriptor();
        String open = String.format(
                Locale.ROOT,
                "SetInterface(%d, %d); OpenPipe(0x%02X); ",
                id.bInterfaceNumber(),
                id.bAlternateSetting(),
                f.d().bEndpointAddress());
        String dir = f.d().isIn() ? "USB_IN_TRANSFER" : "USB_OUT_TRANSFER";
        return open
                + switch (f.type()) {
                    case "isochronous" ->
                        String.format(
                                Locale.ROOT,
                                "IssueIsochTransfer(%s | USB_START_ISOCH_ASAP), up to %d bytes per frame entry",
                                dir,
                                Math.max(f.bytesPerInterval(), 0));
                    case "interrupt" -> "IssueInterruptTransfer(" + dir + ")";
                    case "bulk" -> "IssueBulkTransfer(" + dir + ")";
                    default -> "IssueVendorTransfer";
                };
    }

    /** The WinUSB calls for an isochronous endpoint (usbd4j's WinUSB personality is the isochronous one). */
    private static String winUsbCalls(UsbInterface alt, EndpointFacts f) {
        if (!f.type().equals("isochronous")) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "WinUsb_SetCurrentAlternateSetting(%d); WinUsb_RegisterIsochBuffer(0x%02X); %s",
                alt.descriptor().bAlternateSetting(),
                f.d().bEndpointAddress(),
                f.d().isIn() ? "WinUsb_ReadIsochPipeAsap" : "WinUsb_WriteIsochPipeAsap");
    }

    /** The class-specific summary lines of an interface setting (UAC1, UVC), empty for others. */
    static List<String> classSummary(UsbConfiguration config, UsbInterface i) {
        List<String> out = new ArrayList<>();
        if (Uac1Descriptors.isAudioControl(i)) {
            List<String> parts = new ArrayList<>();
            for (Uac1Descriptors.Entity e : Uac1Descriptors.entities(i).values()) {
                parts.add(e.describe()
                        + (e.sources().isEmpty()
                                ? ""
                                : " <- "
                                        + String.join(
                                                ", ",
                                                e.sources().stream()
                                                        .map(String::valueOf)
                                                        .toList())));
            }
            out.add("UAC1 AudioControl: " + (parts.isEmpty() ? "no terminals" : String.join("; ", parts)));
        } else if (Uac1Descriptors.isAudioStreaming(i)) {
            Uac1Descriptors.format(i)
                    .ifPresent(f -> out.add("UAC1 format: " + f.describe() + " (terminal " + f.terminalLink() + ")"));
        } else if (UvcDescriptors.isVideoControl(i)) {
            int bcd = UvcDescriptors.bcdUvc(config);
            out.add(String.format(Locale.ROOT, "UVC VideoControl, UVC %x.%02x", bcd >>> 8, bcd & 0xFF));
        } else if (UvcDescriptors.isVideoStreaming(i) && i.descriptor().bAlternateSetting() == 0) {
            for (UvcDescriptors.Format f : UvcDescriptors.formats(i)) {
                List<String> frames = new ArrayList<>();
                for (UvcDescriptors.Frame fr : f.frames()) {
                    frames.add(fr.describe() + " (up to " + fr.maxFrameBytes() + " bytes)");
                }
                out.add("UVC " + f.describe() + ": " + String.join("; ", frames));
            }
        }
        return out;
    }

    private static String className(int cls, int sub) {
        return switch (cls) {
            case 0x01 ->
                sub == 1 ? "Audio Control" : sub == 2 ? "Audio Streaming" : sub == 3 ? "MIDI Streaming" : "Audio";
            case 0x02 -> "CDC Control";
            case 0x03 -> "HID";
            case 0x07 -> "Printer";
            case 0x08 -> "Mass Storage";
            case 0x09 -> "Hub";
            case 0x0A -> "CDC Data";
            case 0x0E -> sub == 1 ? "Video Control" : sub == 2 ? "Video Streaming" : "Video";
            case 0xFE -> "Application Specific";
            case 0xFF -> "Vendor Specific";
            default -> "";
        };
    }

    // ---- text ---------------------------------------------------------------------------------------

    /**
     * The text form.
     *
     * @param toolBackend the {@code --backend} option of the {@code usbd stream} lines, or empty
     * @param deviceArg the {@code --device} value of those lines: the VID:PID, with {@code @BUS-PORTS}
     *     when another device has the same IDs
     */
    static void text(StringBuilder s, DeviceView v, String toolBackend, String deviceArg) {
        s.append(v.title()).append(" (").append(v.hub() ? "hub, " : "").append(v.speedName());
        if (!v.location().equals("sim")) {
            s.append(", ").append(v.location());
        }
        if (v.serial() != null) {
            s.append(", serial ").append(v.serial());
        }
        s.append(")\n");
        if (v.hub()) {
            return;
        }
        if (v.openProblem() != null) {
            s.append("  cannot be opened: ").append(v.openProblem()).append('\n');
        }
        UsbDevice info = v.info();
        if (info == null) {
            s.append("  descriptors: ").append(v.descriptorProblem()).append('\n');
            return;
        }
        var dd = info.descriptor();
        s.append(String.format(
                Locale.ROOT,
                "  device: USB %x.%02x, class 0x%02X/0x%02X/0x%02X, bMaxPacketSize0 %d, bcdDevice %x.%02x, %d"
                        + " configuration%s%n",
                dd.bcdUSB() >>> 8,
                dd.bcdUSB() & 0xFF,
                dd.bDeviceClass(),
                dd.bDeviceSubClass(),
                dd.bDeviceProtocol(),
                dd.bMaxPacketSize0(),
                dd.bcdDevice() >>> 8,
                dd.bcdDevice() & 0xFF,
                dd.bNumConfigurations(),
                dd.bNumConfigurations() == 1 ? "" : "s"));
        for (UsbConfiguration c : info.configs()) {
            var cd = c.descriptor();
            boolean active = isActive(c, info.activeConfig());
            s.append(String.format(
                    Locale.ROOT,
                    "  configuration %d%s: %d interface%s, bmAttributes 0x%02X%s, %d mA%n",
                    cd.bConfigurationValue(),
                    active ? " (active)" : "",
                    cd.bNumInterfaces(),
                    cd.bNumInterfaces() == 1 ? "" : "s",
                    cd.bmAttributes(),
                    (cd.bmAttributes() & 0x40) != 0 ? " (self-powered)" : "",
                    cd.MaxPower() * (v.speed().compareTo(UsbSpeed.SUPER) >= 0 ? 8 : 2)));
            for (InterfaceAssociation a : associations(c)) {
                s.append(String.format(
                        Locale.ROOT,
                        "    interface association: interfaces %d-%d, class 0x%02X/0x%02X %s%n",
                        a.bFirstInterface(),
                        a.bFirstInterface() + a.bInterfaceCount() - 1,
                        a.bFunctionClass(),
                        a.bFunctionSubClass(),
                        className(a.bFunctionClass(), 0)));
            }
            for (UsbInterface i : c.interfaces()) {
                var id = i.descriptor();
                s.append(String.format(
                        Locale.ROOT,
                        "    interface %d alt %d: class 0x%02X/0x%02X/0x%02X %s, %d endpoint%s%n",
                        id.bInterfaceNumber(),
                        id.bAlternateSetting(),
                        id.bInterfaceClass(),
                        id.bInterfaceSubClass(),
                        id.bInterfaceProtocol(),
                        className(id.bInterfaceClass(), id.bInterfaceSubClass()),
                        id.bNumEndpoints(),
                        id.bNumEndpoints() == 1 ? "" : "s"));
                for (String line : classSummary(c, i)) {
                    s.append("      ").append(line).append('\n');
                }
                for (UsbEndpoint ep : i.endpoints()) {
                    endpointText(s, deviceArg, i, facts(ep, v.speed()), active, toolBackend);
                }
            }
        }
    }

    private static void endpointText(
            StringBuilder s, String deviceArg, UsbInterface alt, EndpointFacts f, boolean active, String toolBackend) {
        s.append(String.format(
                Locale.ROOT, "      endpoint 0x%02X %s %s", f.d().bEndpointAddress(), f.direction(), f.type()));
        if (f.sync() != null) {
            s.append(", ").append(f.sync()).append(", ").append(f.usage());
        }
        s.append(String.format(
                Locale.ROOT, ": wMaxPacketSize 0x%04X = %d bytes", f.d().wMaxPacketSize(), f.packetBytes()));
        if (f.packetBytes() < f.d().maxPacketPayload()) {
            s.append(String.format(
                    Locale.ROOT, " (it announces %d, more than the speed allows)", f.d().maxPacketPayload()));
        }
        if (f.transactions() > 1) {
            s.append(" x ").append(f.transactions()).append(" transactions");
        }
        if (f.problem() != null) {
            s.append(", bInterval ").append(f.d().bInterval()).append(": ").append(f.problem());
        } else if (f.period() != null) {
            s.append(String.format(
                    Locale.ROOT,
                    ", every %s (bInterval %d): %d bytes per service interval",
                    f.period(),
                    f.d().bInterval(),
                    f.bytesPerInterval()));
        }
        if (f.d().bSynchAddress() != 0) {
            s.append(String.format(Locale.ROOT, ", synch endpoint 0x%02X", f.d().bSynchAddress()));
        }
        s.append('\n');
        if (active && f.problem() == null) {
            s.append("        CE: ").append(ceCalls(alt, f)).append('\n');
        }
        if (f.type().equals("isochronous") && f.problem() == null && active) {
            s.append("        WinUSB: ").append(winUsbCalls(alt, f)).append('\n');
            s.append(String.format(
                    Locale.ROOT,
                    "        usbd%s stream --device %s --interface %d --alt %d --endpoint 0x%02X%n",
                    toolBackend,
                    deviceArg,
                    alt.descriptor().bInterfaceNumber(),
                    alt.descriptor().bAlternateSetting(),
                    f.d().bEndpointAddress()));
        }
    }

    private static List<InterfaceAssociation> associations(UsbConfiguration c) {
        try {
            return Descriptors.interfaceAssociations(c);
        } catch (DescriptorException e) {
            return List.of();
        }
    }

    // ---- JSON ---------------------------------------------------------------------------------------

    /** The JSON form of one device. */
    static Map<String, Object> json(DeviceView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("vendorId", v.vendorId());
        m.put("productId", v.productId());
        m.put("manufacturer", v.manufacturer());
        m.put("product", v.product());
        m.put("serialNumber", v.serial());
        m.put("speed", v.speed().name().toLowerCase(Locale.ROOT));
        m.put("location", v.location());
        m.put("bus", v.busNumber());
        m.put("ports", v.portPath());
        m.put("hub", v.hub());
        m.put("openProblem", v.openProblem());
        m.put("descriptorProblem", v.descriptorProblem());
        UsbDevice info = v.info();
        if (info == null) {
            return m;
        }
        var dd = info.descriptor();
        m.put("bcdUSB", String.format(Locale.ROOT, "%x.%02x", dd.bcdUSB() >>> 8, dd.bcdUSB() & 0xFF));
        m.put("deviceClass", dd.bDeviceClass());
        m.put("deviceSubClass", dd.bDeviceSubClass());
        m.put("deviceProtocol", dd.bDeviceProtocol());
        m.put("maxPacketSize0", dd.bMaxPacketSize0());
        List<Object> configs = new ArrayList<>();
        for (UsbConfiguration c : info.configs()) {
            var cd = c.descriptor();
            boolean active = isActive(c, info.activeConfig());
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("value", cd.bConfigurationValue());
            cm.put("active", active);
            cm.put("attributes", cd.bmAttributes());
            cm.put("maxPowerMilliamps", cd.MaxPower() * (v.speed().compareTo(UsbSpeed.SUPER) >= 0 ? 8 : 2));
            List<Object> iads = new ArrayList<>();
            for (InterfaceAssociation a : associations(c)) {
                Map<String, Object> am = new LinkedHashMap<>();
                am.put("firstInterface", a.bFirstInterface());
                am.put("interfaceCount", a.bInterfaceCount());
                am.put("functionClass", a.bFunctionClass());
                am.put("functionSubClass", a.bFunctionSubClass());
                iads.add(am);
            }
            cm.put("interfaceAssociations", iads);
            List<Object> alts = new ArrayList<>();
            for (UsbInterface i : c.interfaces()) {
                var id = i.descriptor();
                Map<String, Object> im = new LinkedHashMap<>();
                im.put("interface", id.bInterfaceNumber());
                im.put("alternateSetting", id.bAlternateSetting());
                im.put("class", id.bInterfaceClass());
                im.put("subClass", id.bInterfaceSubClass());
                im.put("protocol", id.bInterfaceProtocol());
                im.put("className", className(id.bInterfaceClass(), id.bInterfaceSubClass()));
                im.put("classSummary", classSummary(c, i));
                List<Object> eps = new ArrayList<>();
                for (UsbEndpoint ep : i.endpoints()) {
                    EndpointFacts f = facts(ep, v.speed());
                    Map<String, Object> em = new LinkedHashMap<>();
                    em.put("address", String.format(Locale.ROOT, "0x%02X", f.d().bEndpointAddress()));
                    em.put("direction", f.direction().toLowerCase(Locale.ROOT));
                    em.put("type", f.type());
                    em.put("wMaxPacketSize", String.format(Locale.ROOT, "0x%04X", f.d().wMaxPacketSize()));
                    em.put("packetBytes", f.packetBytes());
                    em.put("transactionsPerMicroframe", f.transactions());
                    em.put("bInterval", f.d().bInterval());
                    if (f.period() != null) {
                        em.put("periodMicroseconds", f.periodMicros());
                        em.put("bytesPerServiceInterval", f.bytesPerInterval());
                    }
                    if (f.sync() != null) {
                        em.put("syncType", f.sync());
                        em.put("usageType", f.usage());
                    }
                    if (f.d().bSynchAddress() != 0) {
                        em.put("synchAddress", String.format(Locale.ROOT, "0x%02X", f.d().bSynchAddress()));
                    }
                    if (f.problem() != null) {
                        em.put("problem", f.problem());
                    }
                    if (f.problem() == null && active) {
                        em.put("ce", ceCalls(i, f));
                        if (f.type().equals("isochronous")) {
                            em.put("winusb", winUsbCalls(i, f));
                        }
                    }
                    eps.add(em);
                }
                im.put("endpoints", eps);
                alts.add(im);
            }
            cm.put("interfaces", alts);
            configs.add(cm);
        }
        m.put("configurations", configs);
        return m;
    }

    /** Whether {@code c} is the active configuration (by its bConfigurationValue). */
    private static boolean isActive(UsbConfiguration c, UsbConfiguration active) {
        return active != null
                && c.descriptor().bConfigurationValue() == active.descriptor().bConfigurationValue();
    }
}
