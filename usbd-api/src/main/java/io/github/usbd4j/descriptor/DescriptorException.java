package io.github.usbd4j.descriptor;

/**
 * Descriptor bytes that cannot be parsed: the one checked exception the parsers throw for any input.
 * It names the byte offset and the problem, e.g. "offset 27: endpoint descriptor bLength 3 is less
 * than 7".
 */
public class DescriptorException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int offset;
    private final String problem;

    /**
     * @param offset byte offset of the problem in the input
     * @param problem what is wrong there
     */
    public DescriptorException(int offset, String problem) {
        super("offset " + offset + ": " + problem);
        this.offset = offset;
        this.problem = problem;
    }

    /** Byte offset of the problem in the input. */
    public int offset() {
        return offset;
    }

    /** What is wrong, without the offset prefix. */
    public String problem() {
        return problem;
    }
}
