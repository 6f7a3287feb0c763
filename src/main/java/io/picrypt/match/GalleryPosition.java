package io.picrypt.match;

/**
 * Where an identity sits in a keyset's 1:N gallery: slot {@code slot} (0..BLOCK_CAPACITY-1) of block {@code block}
 * (0-based, in the order blocks were added). Its flat index {@code block * BLOCK_CAPACITY + slot} is what the
 * wire frames carry ({@link GalleryFrames}); this record is the one place that converts between the two.
 *
 * @throws IllegalArgumentException on a negative block, a slot outside 0..BLOCK_CAPACITY-1, or an index that
 *                                  overflows an int
 */
public record GalleryPosition(int block, int slot) {
    public GalleryPosition {
        if (block < 0 || block > Integer.MAX_VALUE / GalleryParameters.BLOCK_CAPACITY - 1) {
            throw new IllegalArgumentException("bad gallery block " + block);
        }
        if (slot < 0 || slot >= GalleryParameters.BLOCK_CAPACITY) throw new IllegalArgumentException("bad gallery slot " + slot);
    }

    /** The position of flat index {@code index} (>= 0). */
    public static GalleryPosition of(int index) {
        if (index < 0) throw new IllegalArgumentException("bad gallery index " + index);
        return new GalleryPosition(index / GalleryParameters.BLOCK_CAPACITY, index % GalleryParameters.BLOCK_CAPACITY);
    }

    /** block * BLOCK_CAPACITY + slot. */
    public int index() {
        return block * GalleryParameters.BLOCK_CAPACITY + slot;
    }
}
