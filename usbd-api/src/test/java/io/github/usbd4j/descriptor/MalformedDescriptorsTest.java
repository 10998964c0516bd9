package io.github.usbd4j.descriptor;

import static io.github.usbd4j.descriptor.DescriptorTables.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each malformed input gives a {@link DescriptorException} with the expected offset and problem. */
class MalformedDescriptorsTest {

    /** A parser under test. */
    interface Parser {
        Object parse(byte[] bytes) throws DescriptorException;
    }

    static final Parser CONFIG = Descriptors::parseConfiguration;
    static final Parser DEVICE = Descriptors::parseDevice;
    static final Parser STRING = Descriptors::parseString;
    static final Parser LANGUAGES = Descriptors::parseLanguageIds;
    static final Parser BOS = Descriptors::parseBos;
    static final Parser SPLIT = Descriptors::split;

    static final byte[] SPEAKER = bytes(DescriptorTables.SPEAKER_CONFIG);
    static final byte[] WEBCAM = bytes(DescriptorTables.WEBCAM_CONFIG);
    static final byte[] SS = bytes(DescriptorTables.SS_CONFIG);
    static final byte[] SS_BOS = bytes(DescriptorTables.SS_BOS);
    static final byte[] SS_DEVICE = bytes(DescriptorTables.SS_DEVICE);

    /** A copy of {@code base} with {@code pairs} = index, value, index, value ... applied. */
    static byte[] with(byte[] base, int... pairs) {
        byte[] b = base.clone();
        for (int i = 0; i < pairs.length; i += 2) {
            b[pairs[i]] = (byte) pairs[i + 1];
        }
        return b;
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                // configuration walk
                Arguments.of("zero-length descriptor", CONFIG, with(SPEAKER, 27, 0), 27, "bLength 0 is less than 2"),
                Arguments.of("bLength 1", CONFIG, with(SPEAKER, 27, 1), 27, "bLength 1 is less than 2"),
                Arguments.of("overlong bLength", CONFIG, with(SPEAKER, 103, 8), 103, "runs past the end"),
                Arguments.of("wTotalLength larger", CONFIG, with(SPEAKER, 2, 111), 2, "wTotalLength 111 but"),
                Arguments.of("wTotalLength smaller", CONFIG, with(SPEAKER, 2, 100), 2, "wTotalLength 100 but"),
                Arguments.of("wTotalLength below 9", CONFIG, with(SPEAKER, 2, 5), 2, "is less than"),
                Arguments.of(
                        "trailing byte", CONFIG, Arrays.copyOf(SPEAKER, 111), 2, "the configuration has 111 bytes"),
                Arguments.of("not a configuration", CONFIG, with(SPEAKER, 1, 4), 1, "bDescriptorType 0x04 is not"),
                Arguments.of(
                        "configuration too short",
                        CONFIG,
                        with(SPEAKER, 0, 7),
                        0,
                        "configuration descriptor bLength 7"),
                Arguments.of(
                        "interface too short",
                        CONFIG,
                        with(SPEAKER, 58, 8),
                        58,
                        "interface descriptor bLength 8 is less than 9"),
                Arguments.of(
                        "endpoint too short",
                        CONFIG,
                        with(SPEAKER, 94, 3),
                        94,
                        "endpoint descriptor bLength 3 is less than 7"),
                Arguments.of("bNumEndpoints too high", CONFIG, with(SPEAKER, 71, 2), 71, "has bNumEndpoints 2 but 1"),
                Arguments.of("bNumEndpoints too low", CONFIG, with(SPEAKER, 71, 0), 94, "beyond bNumEndpoints 0"),
                Arguments.of("bNumInterfaces wrong", CONFIG, with(SPEAKER, 4, 3), 4, "bNumInterfaces 3 but 2 distinct"),
                Arguments.of(
                        "duplicate alternate setting",
                        CONFIG,
                        with(SPEAKER, 70, 0),
                        69,
                        "duplicate interface 1 alternate setting 0"),
                Arguments.of("endpoint 0", CONFIG, with(SPEAKER, 96, 0x80), 96, "is endpoint 0"),
                Arguments.of("reserved address bits", CONFIG, with(SPEAKER, 96, 0x11), 96, "reserved bits 6:4"),
                Arguments.of("duplicate endpoint", CONFIG, with(SS, 33, 0x81), 33, "duplicate endpoint address 0x81"),
                Arguments.of("isochronous bInterval 0", CONFIG, with(SPEAKER, 100, 0), 100, "bInterval 0 is not 1..16"),
                Arguments.of(
                        "isochronous bInterval 17", CONFIG, with(SPEAKER, 100, 17), 100, "bInterval 17 is not 1..16"),
                Arguments.of(
                        "interrupt bInterval 0", CONFIG, with(WEBCAM, 72, 0), 72, "interrupt endpoint bInterval 0"),
                Arguments.of(
                        "reserved transaction count",
                        CONFIG,
                        with(SPEAKER, 99, 0x18),
                        98,
                        "reserved transaction count 3"),
                Arguments.of(
                        "configuration inside configuration",
                        CONFIG,
                        with(SPEAKER, 50, 2),
                        49,
                        "is not allowed inside"),
                Arguments.of(
                        "endpoint before interface",
                        CONFIG,
                        bytes(9, 2, 16, 0, 0, 1, 0, 0x80, 50, 7, 5, 0x81, 2, 64, 0, 0),
                        9,
                        "endpoint descriptor before any interface"),
                Arguments.of(
                        "companion with no endpoint",
                        CONFIG,
                        bytes(9, 2, 24, 0, 1, 1, 0, 0x80, 50, 9, 4, 0, 0, 0, 0xFF, 0, 0, 0, 6, 0x30, 0, 0, 0, 0),
                        18,
                        "companion not directly after an endpoint"),
                Arguments.of(
                        "companion after a class-specific descriptor",
                        CONFIG,
                        bytes(
                                9, 2, 34, 0, 1, 1, 0, 0x80, 50, 9, 4, 0, 0, 1, 0xFF, 0, 0, 0, 7, 5, 0x81, 2, 0, 4, 0, 3,
                                0x25, 1, 6, 0x30, 0, 0, 0, 0),
                        28,
                        "companion not directly after an endpoint"),
                Arguments.of("companion too short", CONFIG, with(SS, 25, 5), 25, "companion bLength 5 is less than 6"),
                Arguments.of("bMaxBurst 16", CONFIG, with(SS, 27, 16), 27, "bMaxBurst 16 is not 0..15"),
                Arguments.of("isochronous Mult 3", CONFIG, with(SS, 72, 3), 72, "isochronous Mult 3"),
                Arguments.of("SSP companion missing", CONFIG, with(SS, 98, 0x25), 91, "no SuperSpeedPlus"),
                Arguments.of("SSP companion unannounced", CONFIG, with(SS, 94, 0), 97, "not directly after"),
                Arguments.of("SSP companion too short", CONFIG, with(SS, 97, 7), 97, "bLength 7 is less than 8"),
                Arguments.of("SSP companion huge", CONFIG, with(SS, 104, 0x80), 101, "larger than 2^31-1"),
                Arguments.of("IAD too short", CONFIG, with(WEBCAM, 9, 7), 9, "association descriptor bLength 7"),
                // device descriptor
                Arguments.of("empty device", DEVICE, new byte[0], 0, "header needs 2 bytes but 0 remain"),
                Arguments.of("device truncated", DEVICE, Arrays.copyOf(SS_DEVICE, 17), 0, "bLength 18 runs past"),
                Arguments.of("device bLength 17", DEVICE, with(SS_DEVICE, 0, 17), 0, "bLength 17 is less than 18"),
                Arguments.of("device trailing", DEVICE, Arrays.copyOf(SS_DEVICE, 19), 18, "does not cover"),
                Arguments.of("device wrong type", DEVICE, with(SS_DEVICE, 1, 2), 1, "is not device descriptor"),
                // strings
                Arguments.of("string odd payload", STRING, bytes(5, 3, 'a', 0, 'b'), 0, "odd payload of 3"),
                Arguments.of("string bLength long", STRING, bytes(6, 3, 'a', 0), 0, "runs past the end"),
                Arguments.of("string bLength short", STRING, bytes(2, 3, 'a', 0), 2, "does not cover"),
                Arguments.of("string wrong type", STRING, bytes(4, 4, 'a', 0), 1, "is not string descriptor"),
                Arguments.of("string one byte", STRING, bytes(2), 0, "header needs 2 bytes"),
                Arguments.of("language ids odd", LANGUAGES, bytes(3, 3, 9), 0, "odd payload"),
                // BOS
                Arguments.of("BOS wTotalLength", BOS, with(SS_BOS, 2, 43), 2, "wTotalLength 43 but the BOS has 42"),
                Arguments.of("BOS too few caps", BOS, with(SS_BOS, 4, 2), 4, "bNumDeviceCaps 2 but 3"),
                Arguments.of("BOS too many caps", BOS, with(SS_BOS, 4, 4), 4, "bNumDeviceCaps 4 but 3"),
                Arguments.of("BOS header short", BOS, with(SS_BOS, 0, 4), 0, "BOS descriptor bLength 4 is less than 5"),
                Arguments.of("BOS not a capability", BOS, with(SS_BOS, 13, 5), 13, "is not device capability"),
                Arguments.of("USB 2.0 extension short", BOS, with(SS_BOS, 5, 6), 5, "type 2 bLength 6 is less than 7"),
                Arguments.of("capability bLength 2", BOS, with(SS_BOS, 22, 2), 22, "bLength 2 is less than 3"),
                Arguments.of("BOS wrong type", BOS, with(SS_BOS, 1, 2), 1, "is not BOS descriptor"),
                // split
                Arguments.of("split zero length", SPLIT, bytes(5, 0x24, 1, 2, 3, 0, 0x24), 5, "bLength 0"),
                Arguments.of("split overlong", SPLIT, bytes(5, 0x24, 1, 2, 3, 4, 0x24, 1), 5, "runs past"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void parser_rejectsMalformedInput(String name, Parser parser, byte[] bytes, int offset, String fragment) {
        DescriptorException e = catchThrowableOfType(DescriptorException.class, () -> parser.parse(bytes));

        assertThat(e).as(name).isNotNull();
        assertThat(e.offset()).as(e.getMessage()).isEqualTo(offset);
        assertThat(e.getMessage()).startsWith("offset " + offset + ": ").contains(fragment);
    }

    static Stream<Arguments> prefixes() {
        return Stream.of(SPEAKER, WEBCAM, SS)
                .flatMap(config ->
                        IntStream.range(0, config.length).mapToObj(n -> Arguments.of(n, Arrays.copyOf(config, n))));
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("prefixes")
    void parseConfiguration_rejectsEveryTruncation(int length, byte[] prefix) {
        DescriptorException e = catchThrowableOfType(DescriptorException.class, () -> CONFIG.parse(prefix));

        // before the 9-byte header is complete the header is at fault, after it wTotalLength
        assertThat(e.offset()).isEqualTo(length < 9 ? 0 : 2);
        assertThat(e.problem()).containsAnyOf("header needs 2 bytes", "runs past the end", "wTotalLength");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deviceLists")
    void parseDevice_checksTheConfigurationList(
            String name, List<byte[]> configs, int active, int offset, String fragment) {
        DescriptorException e = catchThrowableOfType(
                DescriptorException.class, () -> Descriptors.parseDevice(SS_DEVICE, configs, active));

        assertThat(e).as(name).isNotNull();
        assertThat(e.offset()).isEqualTo(offset);
        assertThat(e.getMessage()).contains(fragment);
    }

    static Stream<Arguments> deviceLists() {
        return Stream.of(
                Arguments.of("no configurations", List.of(), 1, 17, "bNumConfigurations 1 but 0"),
                Arguments.of("two configurations", List.of(SS, SS), 1, 17, "bNumConfigurations 1 but 2"),
                Arguments.of("active absent", List.of(SS), 2, 0, "active bConfigurationValue 2"),
                Arguments.of("unconfigured", List.of(SS), 0, 0, "active bConfigurationValue 0"),
                Arguments.of("bad configuration", List.of(with(SS, 25, 5)), 1, 25, "configuration 0: SuperSpeed"));
    }
}
