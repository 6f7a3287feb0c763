package io.picrypt.face;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class QualityPolicyTest {
    @Test
    void keyValueChangesOnlyTheNamedChecks() {
        QualityPolicy p = QualityPolicy.DEFAULT.with("pose=refuse, min_eye=32,blur=off");
        assertEquals(QualityPolicy.Action.REFUSE, p.pose());
        assertEquals(32, p.minEyeDistance());
        assertEquals(QualityPolicy.Action.OFF, p.blur());
        assertEquals(QualityPolicy.DEFAULT.size(), p.size());
        assertEquals(QualityPolicy.DEFAULT.maxYaw(), p.maxYaw());
        assertEquals(p, QualityPolicy.DEFAULT.with(p.toString()), "toString round-trips");
        assertEquals(QualityPolicy.OFF, QualityPolicy.DEFAULT.with("off"));
        assertSame(QualityPolicy.DEFAULT, QualityPolicy.DEFAULT.with(" "));
    }

    @Test
    void badSettingsNameTheKey() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> QualityPolicy.DEFAULT.with("colour=warn")).getMessage().contains("colour"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> QualityPolicy.DEFAULT.with("pose=maybe")).getMessage().contains("refuse, warn or off"));
        assertThrows(IllegalArgumentException.class, () -> QualityPolicy.DEFAULT.with("min_eye=-3"));
        assertThrows(IllegalArgumentException.class, () -> QualityPolicy.DEFAULT.with("min_eye=NaN"));
        assertThrows(IllegalArgumentException.class, () -> QualityPolicy.DEFAULT.with("pose"));
    }

    @Test
    void pipelineTuningParsesAndRoundTrips() {
        PipelineTuning t = PipelineTuning.BASELINE.with("flip=on,letterbox=on,border=replicate,upscale=cubic,margin=0.1");
        assertTrue(t.flip() && t.letterbox() && t.replicate() && t.upscaleCubic());
        assertEquals(0.1, t.margin());
        assertEquals(t, PipelineTuning.BASELINE.with(t.toString()));
        assertThrows(IllegalArgumentException.class, () -> PipelineTuning.BASELINE.with("flip=sometimes"));
        assertThrows(IllegalArgumentException.class, () -> PipelineTuning.BASELINE.with("margin=2"));
        assertThrows(IllegalArgumentException.class, () -> PipelineTuning.BASELINE.with("sharpen=on"));
    }
}
