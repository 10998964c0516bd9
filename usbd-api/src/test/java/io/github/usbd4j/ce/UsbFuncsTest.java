package io.github.usbd4j.ce;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link UsbFuncs} against the {@code USB_FUNCS} table of [§1.6](reference/ce-usbd.html#s1-6). */
class UsbFuncsTest {

    /**
     * [§1.6](reference/ce-usbd.html#s1-6): the 42 member names in table order, exactly as in usbdi.h (typo included).
     */
    private static final List<String> SPEC_1_6_MEMBERS = List.of(
            "lpGetUSBDVersion",
            "lpOpenClientRegistyKey",
            "lpRegisterNotificationRoutine",
            "lpUnRegisterNotificationRoutine",
            "lpLoadGenericInterfaceDriver",
            "lpTranslateStringDesc",
            "lpFindInterface",
            "lpGetFrameNumber",
            "lpGetFrameLength",
            "lpTakeFrameLengthControl",
            "lpReleaseFrameLengthControl",
            "lpSetFrameLength",
            "lpGetDeviceInfo",
            "lpIssueVendorTransfer",
            "lpGetInterface",
            "lpSetInterface",
            "lpGetDescriptor",
            "lpSetDescriptor",
            "lpSetFeature",
            "lpClearFeature",
            "lpGetStatus",
            "lpSyncFrame",
            "lpOpenPipe",
            "lpAbortPipeTransfers",
            "lpResetPipe",
            "lpClosePipe",
            "lpIsPipeHalted",
            "lpIssueControlTransfer",
            "lpIssueBulkTransfer",
            "lpIssueInterruptTransfer",
            "lpIssueIsochTransfer",
            "lpIsTransferComplete",
            "lpGetTransferStatus",
            "lpGetIsochResults",
            "lpAbortTransfer",
            "lpCloseTransfer",
            "lpResetDefaultPipe",
            "lpIsDefaultPipeHalted",
            "lpDisableDevice",
            "lpSuspendDevice",
            "lpResumeDevice",
            "lpGetClientRegistryPath");

    /**
     * [§1.6](reference/ce-usbd.html#s1-6) signature column, per member in table order: the number of C parameters and
     * the Java return type of the C return type (VOID → void, BOOL → boolean, HKEY → ClientRegistryKey, USB_TRANSFER →
     * UsbTransfer, USB_PIPE → UsbPipe, LPCUSB_INTERFACE → UsbInterface, LPCUSB_DEVICE → UsbDevice).
     */
    private static final Object[][] SPEC_1_6_ARITY_AND_RETURN = {
        {2, void.class}, // 1 GetUSBDVersion
        {1, ClientRegistryKey.class}, // 2 OpenClientRegistryKey
        {3, boolean.class}, // 3 RegisterNotificationRoutine
        {3, boolean.class}, // 4 UnRegisterNotificationRoutine
        {2, boolean.class}, // 5 LoadGenericInterfaceDriver
        {3, boolean.class}, // 6 TranslateStringDesc
        {3, UsbInterface.class}, // 7 FindInterface
        {2, boolean.class}, // 8 GetFrameNumber
        {2, boolean.class}, // 9 GetFrameLength
        {1, boolean.class}, // 10 TakeFrameLengthControl
        {1, boolean.class}, // 11 ReleaseFrameLengthControl
        {3, boolean.class}, // 12 SetFrameLength
        {1, UsbDevice.class}, // 13 GetDeviceInfo
        {7, UsbTransfer.class}, // 14 IssueVendorTransfer
        {6, UsbTransfer.class}, // 15 GetInterface
        {6, UsbTransfer.class}, // 16 SetInterface
        {9, UsbTransfer.class}, // 17 GetDescriptor
        {9, UsbTransfer.class}, // 18 SetDescriptor
        {6, UsbTransfer.class}, // 19 SetFeature
        {6, UsbTransfer.class}, // 20 ClearFeature
        {6, UsbTransfer.class}, // 21 GetStatus
        {6, UsbTransfer.class}, // 22 SyncFrame
        {2, UsbPipe.class}, // 23 OpenPipe
        {2, boolean.class}, // 24 AbortPipeTransfers
        {1, boolean.class}, // 25 ResetPipe
        {1, boolean.class}, // 26 ClosePipe
        {2, boolean.class}, // 27 IsPipeHalted
        {8, UsbTransfer.class}, // 28 IssueControlTransfer
        {7, UsbTransfer.class}, // 29 IssueBulkTransfer
        {7, UsbTransfer.class}, // 30 IssueInterruptTransfer
        {9, UsbTransfer.class}, // 31 IssueIsochTransfer
        {1, boolean.class}, // 32 IsTransferComplete
        {3, boolean.class}, // 33 GetTransferStatus
        {4, boolean.class}, // 34 GetIsochResults
        {2, boolean.class}, // 35 AbortTransfer
        {1, boolean.class}, // 36 CloseTransfer
        {1, boolean.class}, // 37 ResetDefaultPipe
        {2, boolean.class}, // 38 IsDefaultPipeHalted
        {3, boolean.class}, // 39 DisableDevice
        {2, boolean.class}, // 40 SuspendDevice
        {2, boolean.class}, // 41 ResumeDevice
        {3, boolean.class}, // 42 GetClientRegistryPath
    };

    private static List<Method> abstractMethods() {
        List<Method> methods = new ArrayList<>();
        for (Method m : UsbFuncs.class.getDeclaredMethods()) {
            if (Modifier.isAbstract(m.getModifiers())) {
                methods.add(m);
            }
        }
        return methods;
    }

    /** Methods sorted by their {@code @CeFunction} ordinal. */
    private static List<Method> byOrdinal() {
        List<Method> methods = abstractMethods();
        methods.sort(
                Comparator.comparingInt(m -> m.getAnnotation(CeFunction.class).ordinal()));
        return methods;
    }

    /** The CE function name for a member ({@code lpX} → {@code X}); the one header typo corrected. */
    private static String ceFunctionName(String member) {
        return member.equals("lpOpenClientRegistyKey") ? "OpenClientRegistryKey" : member.substring(2);
    }

    private static String lowerCamel(String ceName) {
        return Character.toLowerCase(ceName.charAt(0)) + ceName.substring(1);
    }

    @Test
    void specTable_hasFortyTwoDistinctMembers() {
        // guards the literal tables of this test
        assertThat(SPEC_1_6_MEMBERS).hasSize(42).doesNotHaveDuplicates();
        assertThat(SPEC_1_6_ARITY_AND_RETURN.length).isEqualTo(42);
    }

    @Test
    void usbFuncs_hasExactly42AbstractMethodsEachAnnotated() {
        List<Method> methods = abstractMethods();
        assertThat(methods).hasSize(42);
        assertThat(methods)
                .allSatisfy(m -> assertThat(m.getAnnotation(CeFunction.class))
                        .as("@CeFunction on %s", m.getName())
                        .isNotNull());
    }

    @Test
    void usbFuncs_hasNoOverloads() {
        Set<String> names = new HashSet<>();
        for (Method m : abstractMethods()) {
            assertThat(names.add(m.getName())).as("overloaded: %s", m.getName()).isTrue();
        }
    }

    @Test
    void ordinals_areUniqueAndExactly1To42() {
        List<Integer> ordinals = abstractMethods().stream()
                .map(m -> m.getAnnotation(CeFunction.class).ordinal())
                .sorted()
                .toList();
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= 42; i++) {
            expected.add(i);
        }
        assertThat(ordinals).isEqualTo(expected);
    }

    @Test
    void memberNames_equalSpec16TableInOrder() {
        List<String> members = byOrdinal().stream()
                .map(m -> m.getAnnotation(CeFunction.class).member())
                .toList();
        assertThat(members).containsExactlyElementsOf(SPEC_1_6_MEMBERS);
    }

    @Test
    void since_is10Then11For37And38Then12For39To41Then13For42() {
        for (Method m : byOrdinal()) {
            CeFunction f = m.getAnnotation(CeFunction.class);
            String expected = f.ordinal() <= 36 ? "1.0" : f.ordinal() <= 38 ? "1.1" : f.ordinal() <= 41 ? "1.2" : "1.3";
            assertThat(f.since())
                    .as("since of %s (#%d)", f.member(), f.ordinal())
                    .isEqualTo(expected);
        }
    }

    @Test
    void javaNames_areLowerCamelCeFunctionNames() {
        for (Method m : byOrdinal()) {
            String member = m.getAnnotation(CeFunction.class).member();
            assertThat(m.getName()).as("Java name of %s", member).isEqualTo(lowerCamel(ceFunctionName(member)));
        }
    }

    @Test
    void javaNames_specialCases() throws Exception {
        assertThat(method("issueIsochTransfer").getAnnotation(CeFunction.class).member())
                .isEqualTo("lpIssueIsochTransfer");
        // the header spells the member lpOpenClientRegistyKey; the function is OpenClientRegistryKey
        assertThat(method("openClientRegistryKey")
                        .getAnnotation(CeFunction.class)
                        .member())
                .isEqualTo("lpOpenClientRegistyKey");
        assertThat(method("getUSBDVersion").getAnnotation(CeFunction.class).member())
                .isEqualTo("lpGetUSBDVersion");
        assertThat(method("translateStringDesc").getAnnotation(CeFunction.class).member())
                .isEqualTo("lpTranslateStringDesc");
        assertThat(method("unRegisterNotificationRoutine")
                        .getAnnotation(CeFunction.class)
                        .member())
                .isEqualTo("lpUnRegisterNotificationRoutine");
    }

    @Test
    void arityAndReturnType_matchSpec16SignatureColumn() {
        List<Method> methods = byOrdinal();
        for (int i = 0; i < 42; i++) {
            Method m = methods.get(i);
            assertThat(m.getParameterCount())
                    .as("parameters of %s", SPEC_1_6_MEMBERS.get(i))
                    .isEqualTo(SPEC_1_6_ARITY_AND_RETURN[i][0]);
            assertThat(m.getReturnType())
                    .as("return type of %s", SPEC_1_6_MEMBERS.get(i))
                    .isEqualTo(SPEC_1_6_ARITY_AND_RETURN[i][1]);
        }
    }

    @Test
    void firstParameter_isTheHandleKindOfSpec16() {
        // 3..5, 8..22, 37..41 take USB_HANDLE; 23..31 take a pipe (OpenPipe: the device); 32..36 a transfer
        for (Method m : byOrdinal()) {
            int n = m.getAnnotation(CeFunction.class).ordinal();
            Class<?> first = m.getParameterCount() == 0 ? null : m.getParameterTypes()[0];
            Class<?> expected;
            if ((n >= 3 && n <= 5) || (n >= 8 && n <= 23) || (n >= 37 && n <= 41)) {
                expected = UsbHandle.class;
            } else if (n >= 24 && n <= 31) {
                expected = UsbPipe.class;
            } else if (n >= 32 && n <= 36) {
                expected = UsbTransfer.class;
            } else {
                continue; // 1, 2, 6, 7, 42 take no handle
            }
            assertThat(first).as("first parameter of #%d %s", n, m.getName()).isEqualTo(expected);
        }
    }

    private static Method method(String name) {
        return abstractMethods().stream()
                .filter(m -> m.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no method " + name));
    }

    @Test
    void issueIsochTransfer_hasSpec18Signature() throws Exception {
        Method m = UsbFuncs.class.getMethod(
                "issueIsochTransfer",
                UsbPipe.class,
                TransferNotifyRoutine.class,
                Object.class,
                int.class,
                int.class,
                int.class,
                int[].class,
                ByteBuffer.class,
                long.class);
        assertThat(m.getReturnType()).isEqualTo(UsbTransfer.class);
        assertThat(m.getAnnotation(CeFunction.class).ordinal()).isEqualTo(31);
    }

    @Test
    void getIsochResults_hasSpec18Signature() throws Exception {
        Method m = UsbFuncs.class.getMethod("getIsochResults", UsbTransfer.class, int.class, int[].class, int[].class);
        assertThat(m.getReturnType()).isEqualTo(boolean.class);
        assertThat(m.getAnnotation(CeFunction.class).ordinal()).isEqualTo(34);
    }

    @Test
    void otherSignatures_matchSpec16() throws Exception {
        assertThat(UsbFuncs.class
                        .getMethod("getTransferStatus", UsbTransfer.class, int[].class, int[].class)
                        .getReturnType())
                .isEqualTo(boolean.class);
        assertThat(UsbFuncs.class
                        .getMethod(
                                "issueBulkTransfer",
                                UsbPipe.class,
                                TransferNotifyRoutine.class,
                                Object.class,
                                int.class,
                                int.class,
                                ByteBuffer.class,
                                long.class)
                        .getReturnType())
                .isEqualTo(UsbTransfer.class);
        assertThat(UsbFuncs.class
                        .getMethod(
                                "issueVendorTransfer",
                                UsbHandle.class,
                                TransferNotifyRoutine.class,
                                Object.class,
                                int.class,
                                UsbDeviceRequest.class,
                                ByteBuffer.class,
                                long.class)
                        .getReturnType())
                .isEqualTo(UsbTransfer.class);
        assertThat(UsbFuncs.class
                        .getMethod("openPipe", UsbHandle.class, UsbEndpointDescriptor.class)
                        .getReturnType())
                .isEqualTo(UsbPipe.class);
        assertThat(UsbFuncs.class
                        .getMethod("findInterface", UsbDevice.class, int.class, int.class)
                        .getReturnType())
                .isEqualTo(UsbInterface.class);
        assertThat(UsbFuncs.class
                        .getMethod(
                                "registerNotificationRoutine", UsbHandle.class, DeviceNotifyRoutine.class, Object.class)
                        .getReturnType())
                .isEqualTo(boolean.class);
        assertThat(UsbFuncs.class
                        .getMethod("getClientRegistryPath", char[].class, int.class, String.class)
                        .getReturnType())
                .isEqualTo(boolean.class);
        assertThat(UsbFuncs.class
                        .getMethod("getUSBDVersion", int[].class, int[].class)
                        .getReturnType())
                .isEqualTo(void.class);
        assertThat(UsbFuncs.class
                        .getMethod("abortTransfer", UsbTransfer.class, int.class)
                        .getReturnType())
                .isEqualTo(boolean.class);
    }

    @Test
    void dwCount_is172OnThirtyTwoBitCe() {
        // [§1.6](reference/ce-usbd.html#s1-6): 4 + 41 × 4 = 168 for the CE 5 table, 172 with member 42
        assertThat(UsbFuncs.DW_COUNT).isEqualTo(172);
    }

    @Test
    void sourceFile_declaresTheMethodsInTableOrder() throws IOException {
        // surefire runs with the module directory as working directory
        Path source = Path.of("src/main/java/io/github/usbd4j/ce/UsbFuncs.java");
        assertThat(source)
                .as("UsbFuncs.java relative to %s", Path.of("").toAbsolutePath())
                .isRegularFile();
        String text = Files.readString(source, StandardCharsets.UTF_8)
                .replaceAll("(?s)/\\*.*?\\*/", " ") // block and javadoc comments
                .replaceAll("//[^\\n]*", " ");
        // every method declaration in the interface: a return type, a name, "(" at member level
        Pattern declaration = Pattern.compile(
                "(?m)^\\s*(?:@CeFunction\\([^)]*\\)\\s*)?(?:default\\s+|static\\s+)?[\\w.<>\\[\\]]+\\s+(\\w+)\\s*\\(");
        Matcher matcher = declaration.matcher(text);
        List<String> declared = new ArrayList<>();
        while (matcher.find()) {
            declared.add(matcher.group(1));
        }
        List<String> expected = SPEC_1_6_MEMBERS.stream()
                .map(member -> lowerCamel(ceFunctionName(member)))
                .toList();
        assertThat(declared).containsExactlyElementsOf(expected);
    }

    @Test
    void sourceOrderParser_seesEveryAnnotation() throws IOException {
        // the annotation count in the source equals the method count, so the parser above cannot miss one
        String text = Files.readString(Path.of("src/main/java/io/github/usbd4j/ce/UsbFuncs.java"));
        long annotations = Arrays.stream(text.split("\n"))
                .filter(l -> l.strip().startsWith("@CeFunction("))
                .count();
        assertThat(annotations).isEqualTo(42);
    }
}
