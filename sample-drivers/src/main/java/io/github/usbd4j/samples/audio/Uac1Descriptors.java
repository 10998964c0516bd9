package io.github.usbd4j.samples.audio;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.RawDescriptor;
import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The USB Audio 1.0 class-specific descriptors a driver needs (UAC1 §4.3, UAC1 §4.5, and
 * section 2.2 of the audio data formats specification): the AudioStreaming format of an alternate setting, the
 * AudioControl topology (terminals and units) and the feature unit that controls a stream's volume. Everything is read
 * from the {@code extended} bytes the configuration parser keeps after each interface and endpoint descriptor.
 */
public final class Uac1Descriptors {
    /** {@code bInterfaceClass} Audio. */
    public static final int AUDIO = 0x01;
    /** {@code bInterfaceSubClass} AudioControl. */
    public static final int AUDIO_CONTROL = 0x01;
    /** {@code bInterfaceSubClass} AudioStreaming. */
    public static final int AUDIO_STREAMING = 0x02;
    /** {@code CS_INTERFACE}. */
    static final int CS_INTERFACE = 0x24;
    /** {@code CS_ENDPOINT}. */
    static final int CS_ENDPOINT = 0x25;
    /** Feature unit control bit (and control selector - 1): mute. */
    public static final int MUTE = 0;
    /** Feature unit control bit (and control selector - 1): volume. */
    public static final int VOLUME = 1;

    private Uac1Descriptors() {}

    /**
     * A Type I format (Frmts §2.2.5): PCM-like samples in subframes.
     *
     * @param formatTag {@code wFormatTag} of the AS general descriptor (1 = PCM)
     * @param channels {@code bNrChannels}
     * @param subframeBytes {@code bSubframeSize}
     * @param bitResolution {@code bBitResolution}
     * @param rates the discrete sampling frequencies, empty for a continuous range
     * @param minRate the lowest frequency (the range's lower bound, or the smallest discrete one)
     * @param maxRate the highest frequency
     * @param terminalLink {@code bTerminalLink}: the terminal the stream connects to
     */
    public record Format(
            int formatTag,
            int channels,
            int subframeBytes,
            int bitResolution,
            List<Integer> rates,
            int minRate,
            int maxRate,
            int terminalLink) {

        /** Copies the list. */
        public Format {
            rates = List.copyOf(rates);
        }

        /** Whether the stream can run at {@code rate} Hz. */
        public boolean supports(int rate) {
            return rates.isEmpty() ? rate >= minRate && rate <= maxRate : rates.contains(rate);
        }

        /** Bytes per sample frame (all channels). */
        public int blockAlign() {
            return channels * subframeBytes;
        }

        /** {@code "PCM, 2 ch, 16 bit, 48000 Hz"}. */
        public String describe() {
            String r = rates.isEmpty()
                    ? minRate + ".." + maxRate + " Hz"
                    : String.join(", ", rates.stream().map(String::valueOf).toList()) + " Hz";
            String sub = subframeBytes * 8 == bitResolution ? "" : " in " + subframeBytes + "-byte subframes";
            return String.format(
                    Locale.ROOT, "%s, %d ch, %d bit%s, %s", formatName(formatTag), channels, bitResolution, sub, r);
        }
    }

    /**
     * One terminal or unit of the AudioControl interface.
     *
     * @param subtype {@code bDescriptorSubtype} (2 input terminal, 3 output terminal, 4 mixer, 5 selector,
     *     6 feature unit, ...)
     * @param id {@code bTerminalID} / {@code bUnitID}
     * @param sources the IDs it takes its input from
     * @param terminalType {@code wTerminalType} of a terminal, 0 for a unit
     * @param controls a feature unit's {@code bmaControls}, master channel first; empty otherwise
     */
    public record Entity(int subtype, int id, List<Integer> sources, int terminalType, List<Integer> controls) {
        /** Copies the lists. */
        public Entity {
            sources = List.copyOf(sources);
            controls = List.copyOf(controls);
        }

        /** Whether this feature unit has control {@code bit} ({@link #MUTE}, {@link #VOLUME}) on channel {@code ch}. */
        public boolean has(int bit, int ch) {
            return ch < controls.size() && (controls.get(ch) & (1 << bit)) != 0;
        }

        /** The channels (0 = master) with control {@code bit}. */
        public List<Integer> channelsWith(int bit) {
            List<Integer> out = new ArrayList<>();
            for (int ch = 0; ch < controls.size(); ch++) {
                if (has(bit, ch)) {
                    out.add(ch);
                }
            }
            return out;
        }

        /** {@code "input terminal 1 (USB streaming)"}, {@code "feature unit 2 (mute, volume)"}. */
        public String describe() {
            return switch (subtype) {
                case 2 -> "input terminal " + id + " (" + terminalName(terminalType) + ")";
                case 3 -> "output terminal " + id + " (" + terminalName(terminalType) + ")";
                case 4 -> "mixer unit " + id;
                case 5 -> "selector unit " + id;
                case 6 -> "feature unit " + id + featureControls();
                case 7 -> "processing unit " + id;
                case 8 -> "extension unit " + id;
                default -> "entity " + id + " (subtype " + subtype + ")";
            };
        }

        private String featureControls() {
            List<String> names = new ArrayList<>();
            if (!channelsWith(MUTE).isEmpty()) {
                names.add("mute");
            }
            if (!channelsWith(VOLUME).isEmpty()) {
                names.add("volume");
            }
            return names.isEmpty() ? "" : " (" + String.join(", ", names) + ")";
        }
    }

    /**
     * Whether this is a UAC1 AudioStreaming interface: class 1, subclass 2, and a protocol other than UAC2's
     * (0x20) or UAC3's (0x30). UAC1 says 0; devices with other values exist (QEMU's usb-audio says 4 on its
     * AudioControl interface) and hosts treat them as UAC1.
     */
    public static boolean isAudioStreaming(UsbInterface i) {
        var d = i.descriptor();
        return d.bInterfaceClass() == AUDIO
                && d.bInterfaceSubClass() == AUDIO_STREAMING
                && isUac1(d.bInterfaceProtocol());
    }

    /** Whether this is a UAC1 AudioControl interface: class 1, subclass 1, a protocol other than UAC2's or UAC3's. */
    public static boolean isAudioControl(UsbInterface i) {
        var d = i.descriptor();
        return d.bInterfaceClass() == AUDIO
                && d.bInterfaceSubClass() == AUDIO_CONTROL
                && isUac1(d.bInterfaceProtocol());
    }

    private static boolean isUac1(int protocol) {
        return protocol != 0x20 && protocol != 0x30;
    }

    /**
     * The Type I format of an AudioStreaming alternate setting.
     *
     * @param asAlt an alternate setting of an AudioStreaming interface
     * @return the format, empty if it has none (alternate setting 0) or another format type
     */
    public static Optional<Format> format(UsbInterface asAlt) {
        int tag = -1;
        int link = -1;
        for (RawDescriptor d : split(asAlt.extended())) {
            byte[] b = d.bytes();
            if (d.bDescriptorType() != CS_INTERFACE || b.length < 3) {
                continue;
            }
            if (d.bDescriptorSubtype() == 1 && b.length >= 7) { // AS_GENERAL
                link = u8(b, 3);
                tag = u16(b, 5);
            } else if (d.bDescriptorSubtype() == 2 && b.length >= 8 && u8(b, 3) == 1) { // FORMAT_TYPE I
                int freqType = u8(b, 7);
                List<Integer> rates = new ArrayList<>();
                int min;
                int max;
                if (freqType == 0 && b.length >= 14) {
                    min = u24(b, 8);
                    max = u24(b, 11);
                } else {
                    for (int k = 0; k < freqType && 8 + 3 * k + 3 <= b.length; k++) {
                        rates.add(u24(b, 8 + 3 * k));
                    }
                    if (rates.isEmpty()) {
                        return Optional.empty();
                    }
                    min = rates.stream().mapToInt(Integer::intValue).min().orElse(0);
                    max = rates.stream().mapToInt(Integer::intValue).max().orElse(0);
                }
                return Optional.of(new Format(tag < 0 ? 1 : tag, u8(b, 4), u8(b, 5), u8(b, 6), rates, min, max, link));
            }
        }
        return Optional.empty();
    }

    /**
     * Whether an audio data endpoint has the sampling frequency control (its class-specific endpoint
     * descriptor's {@code bmAttributes} bit 0), i.e. takes {@code SET_CUR SAMPLING_FREQ_CONTROL}.
     */
    public static boolean hasSamplingFrequencyControl(UsbEndpoint ep) {
        for (RawDescriptor d : split(ep.extended())) {
            byte[] b = d.bytes();
            if (d.bDescriptorType() == CS_ENDPOINT && d.bDescriptorSubtype() == 1 && b.length >= 4) {
                return (b[3] & 0x01) != 0;
            }
        }
        return false;
    }

    /**
     * The terminals and units of an AudioControl interface, by ID, in descriptor order.
     *
     * @param ac the AudioControl interface (alternate setting 0)
     * @return the entities
     */
    public static Map<Integer, Entity> entities(UsbInterface ac) {
        Map<Integer, Entity> out = new LinkedHashMap<>();
        for (RawDescriptor d : split(ac.extended())) {
            byte[] b = d.bytes();
            if (d.bDescriptorType() != CS_INTERFACE || b.length < 4) {
                continue;
            }
            int subtype = d.bDescriptorSubtype();
            int id = u8(b, 3);
            switch (subtype) {
                case 2 -> { // input terminal
                    if (b.length >= 6) {
                        out.put(id, new Entity(2, id, List.of(), u16(b, 4), List.of()));
                    }
                }
                case 3 -> { // output terminal: bSourceID at 7
                    if (b.length >= 8) {
                        out.put(id, new Entity(3, id, List.of(u8(b, 7)), u16(b, 4), List.of()));
                    }
                }
                case 4, 5 -> { // mixer, selector: bNrInPins at 4, baSourceID from 5
                    int pins = b.length >= 5 ? u8(b, 4) : 0;
                    List<Integer> sources = new ArrayList<>();
                    for (int k = 0; k < pins && 5 + k < b.length; k++) {
                        sources.add(u8(b, 5 + k));
                    }
                    out.put(id, new Entity(subtype, id, sources, 0, List.of()));
                }
                case 6 -> { // feature unit: bSourceID at 4, bControlSize at 5, bmaControls from 6
                    if (b.length >= 7) {
                        int size = Math.max(1, u8(b, 5));
                        List<Integer> controls = new ArrayList<>();
                        for (int p = 6; p + size <= b.length - 1; p += size) { // the last byte is iFeature
                            int v = 0;
                            for (int k = 0; k < size; k++) {
                                v |= u8(b, p + k) << (8 * k);
                            }
                            controls.add(v);
                        }
                        out.put(id, new Entity(6, id, List.of(u8(b, 4)), 0, controls));
                    }
                }
                case 7, 8 -> { // processing, extension: bNrInPins at 6 / 6, sources from 7
                    int pins = b.length >= 7 ? u8(b, 6) : 0;
                    List<Integer> sources = new ArrayList<>();
                    for (int k = 0; k < pins && 7 + k < b.length; k++) {
                        sources.add(u8(b, 7 + k));
                    }
                    out.put(id, new Entity(subtype, id, sources, 0, List.of()));
                }
                default -> {
                    // header and unknown subtypes carry no entity
                }
            }
        }
        return out;
    }

    /** The AudioControl interface (alternate setting 0) of a configuration, if any. */
    public static Optional<UsbInterface> audioControl(UsbConfiguration config) {
        for (UsbInterface i : config.interfaces()) {
            if (isAudioControl(i) && i.descriptor().bAlternateSetting() == 0) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /**
     * The feature unit on the path of an AudioStreaming format's terminal: for playback (the stream's
     * terminal is an input terminal) the unit downstream of it, for recording (an output terminal) the
     * unit upstream of it. The volume a user hears or records is set there.
     *
     * @param entities the AudioControl interface's {@link #entities}
     * @param format the stream's format (its {@code terminalLink})
     * @return the feature unit, empty if the path has none
     */
    public static Optional<Entity> featureUnitFor(Map<Integer, Entity> entities, Format format) {
        Entity terminal = entities.get(format.terminalLink());
        if (terminal == null) {
            return Optional.empty();
        }
        if (terminal.subtype() == 3) { // recording: walk upstream from the output terminal
            return upstreamFeatureUnit(entities, terminal, 0);
        }
        for (Entity e : entities.values()) { // playback: the feature unit that has the terminal upstream
            if (e.subtype() == 6 && reaches(entities, e, terminal.id(), 0)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    private static Optional<Entity> upstreamFeatureUnit(Map<Integer, Entity> entities, Entity from, int depth) {
        if (depth > entities.size()) {
            return Optional.empty(); // a loop in a broken topology
        }
        for (int s : from.sources()) {
            Entity e = entities.get(s);
            if (e == null) {
                continue;
            }
            if (e.subtype() == 6) {
                return Optional.of(e);
            }
            Optional<Entity> up = upstreamFeatureUnit(entities, e, depth + 1);
            if (up.isPresent()) {
                return up;
            }
        }
        return Optional.empty();
    }

    private static boolean reaches(Map<Integer, Entity> entities, Entity from, int id, int depth) {
        if (depth > entities.size()) {
            return false;
        }
        for (int s : from.sources()) {
            if (s == id) {
                return true;
            }
            Entity e = entities.get(s);
            if (e != null && reaches(entities, e, id, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    /** {@code "PCM"}, {@code "IEEE float"}, ... for a {@code wFormatTag}. */
    static String formatName(int tag) {
        return switch (tag) {
            case 1 -> "PCM";
            case 2 -> "PCM8";
            case 3 -> "IEEE float";
            case 4 -> "A-law";
            case 5 -> "mu-law";
            default -> String.format(Locale.ROOT, "format 0x%04X", tag);
        };
    }

    /** A {@code wTerminalType} (UAC1 Termt10) in words. */
    static String terminalName(int type) {
        return switch (type) {
            case 0x0101 -> "USB streaming";
            case 0x0201 -> "microphone";
            case 0x0202 -> "desktop microphone";
            case 0x0203 -> "personal microphone";
            case 0x0205 -> "microphone array";
            case 0x0301 -> "speaker";
            case 0x0302 -> "headphones";
            case 0x0304 -> "desktop speaker";
            case 0x0402 -> "headset";
            case 0x0603 -> "line connector";
            case 0x0605 -> "S/PDIF";
            default -> String.format(Locale.ROOT, "type 0x%04X", type);
        };
    }

    static List<RawDescriptor> split(byte[] extended) {
        try {
            return Descriptors.split(extended);
        } catch (DescriptorException e) {
            return List.of(); // only a hand-built record can hold malformed bytes; nothing to read then
        }
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static int u16(byte[] b, int i) {
        return u8(b, i) | u8(b, i + 1) << 8;
    }

    private static int u24(byte[] b, int i) {
        return u16(b, i) | u8(b, i + 2) << 16;
    }
}
