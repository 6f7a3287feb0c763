package io.picrypt.client.ui;

import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The page in a real browser: headless Chromium through chromedriver (Debian's chromium and chromium-driver,
 * installed by .ci/run), against a real PiCrypt server and UI server on loopback. Skips when they are absent.
 * Screenshots go to target/ui-screenshots/.
 */
class UiBrowserTest {
    static final Path SHOTS = Path.of("target", "ui-screenshots");

    @TempDir
    static Path data;
    @TempDir
    static Path uploads;
    static UiFixture f;
    static WebDriver driver;
    static WebDriverWait wait;

    static String executable(String env, String... candidates) {
        String e = System.getenv(env);
        if (e != null && Files.isExecutable(Path.of(e))) return e;
        for (String c : candidates) if (Files.isExecutable(Path.of(c))) return c;
        return null;
    }

    @BeforeAll
    static void start() throws Exception {
        String chromium = executable("CHROME_BIN", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        String chromedriver = executable("CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chromium != null && chromedriver != null, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        f = new UiFixture(data, new PlainDiffer());
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,2600",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--no-first-run", "--disable-extensions");
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver)).usingAnyFreePort().build();
        driver = new ChromeDriver(svc, o);
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (driver != null) driver.quit();
        if (f != null) f.close();
    }

    /** A fresh page load (a fragment-only change would keep the previous page). */
    static void open(String url) {
        driver.get("about:blank");
        driver.get(url);
    }

    static Path upload(String name, byte[] png) throws Exception {
        return Files.write(uploads.resolve(name), png);
    }

    /** The whole page: the window is grown to the document's height first. */
    static void screenshot(String name) throws Exception {
        Number h = (Number) ((JavascriptExecutor) driver).executeScript("return document.documentElement.scrollHeight");
        driver.manage().window().setSize(new Dimension(1400, Math.min(8000, h.intValue() + 140)));
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name), png);
    }

    static WebElement done(String resultId) {
        return wait.until(d -> {
            WebElement r = d.findElement(By.id(resultId));
            String s = r.getDomAttribute("data-state");
            return "done".equals(s) || "error".equals(s) ? r : null;
        });
    }

    /** Chooses files on a picker and waits until each one's preview is done (face detection answered). */
    static void choose(String picker, Path... files) {
        WebElement input = driver.findElement(By.id(picker + "-file"));
        input.sendKeys(String.join("\n", Arrays.stream(files).map(p -> p.toAbsolutePath().toString()).toList()));
        wait.until(d -> {
            List<String> ready = d.findElements(By.cssSelector("#" + picker + "-previews figure[data-ready]")).stream().map(WebElement::getText).toList();
            return Arrays.stream(files).allMatch(p -> ready.stream().anyMatch(t -> t.startsWith(p.getFileName().toString())));
        });
    }

    static void type(String id, String text) {
        WebElement e = driver.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    @Test
    void enrollVerifyIdentifyAndDiffInTheBrowser() throws Exception {
        Path alice = upload("alice.png", f.people.get(0).png());
        Path aliceAgain = upload("alice-probe.png", f.genuineProbe(0));
        Path bob = upload("bob.png", f.people.get(1).png());
        Path group = UiFixture.modelsDir().resolve("samples/group-tracking.jpg");

        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        assertEquals(f.http.keyset(), driver.findElement(By.id("conn-keyset")).getText());
        assertFalse(driver.getCurrentUrl().contains(f.ui.token()), "the token is removed from the address bar");

        // enroll from a file; its preview shows one detected face
        type("enroll-name", "Alice");
        choose("enroll-picker", alice);
        assertEquals("1", driver.findElement(By.cssSelector("#enroll-picker-previews figure")).getDomAttribute("data-faces"));
        driver.findElement(By.id("enroll-submit")).click();
        WebElement enrolled = done("enroll-result");
        assertEquals("done", enrolled.getDomAttribute("data-state"), enrolled.getText());
        assertTrue(enrolled.getText().contains("Enrolled \"Alice\""), enrolled.getText());
        wait.until(d -> !d.findElements(By.cssSelector("#identities-list tr[data-name='Alice']")).isEmpty());

        // genuine: another view of the same face
        type("verify-name", "Alice");
        choose("verify-picker", aliceAgain);
        driver.findElement(By.id("verify-submit")).click();
        WebElement genuine = done("verify-result");
        assertEquals("match", genuine.getDomAttribute("data-decision"), genuine.getText());
        assertTrue(genuine.getText().contains("MATCH"));
        assertTrue(genuine.getText().contains("Distance computed on encrypted data by the server, decrypted here."));
        assertTrue(genuine.getText().contains("Threshold"));
        assertTrue(genuine.getText().contains("PiCrypt server, on ciphertexts"), genuine.getText());
        screenshot("verify-genuine.png");

        // impostor: somebody else
        choose("verify-picker", bob);
        driver.findElement(By.id("verify-submit")).click();
        wait.until(d -> "no-match".equals(d.findElement(By.id("verify-result")).getDomAttribute("data-decision")));
        assertTrue(driver.findElement(By.id("verify-result")).getText().contains("NO MATCH"));

        // identify among everyone enrolled
        choose("identify-picker", aliceAgain);
        driver.findElement(By.id("identify-submit")).click();
        WebElement id = done("identify-result");
        assertEquals("Alice", id.getDomAttribute("data-match"), id.getText());

        // several faces: a warning on the preview, the largest is used
        choose("identify-picker", group);
        WebElement fig = driver.findElement(By.cssSelector("#identify-picker-previews figure"));
        assertTrue(Integer.parseInt(fig.getDomAttribute("data-faces")) > 1);
        assertTrue(fig.getText().contains("the largest (green) will be used"), fig.getText());

        // image difference, side by side
        choose("diff-before-picker", alice);
        choose("diff-after-picker", aliceAgain);
        driver.findElement(By.id("diff-submit")).click();
        WebElement diff = done("diff-result");
        assertEquals("done", diff.getDomAttribute("data-state"), diff.getText());
        for (String img : List.of("diff-img-before", "diff-img-after", "diff-img-difference")) {
            Object w = ((JavascriptExecutor) driver).executeScript("return document.getElementById(arguments[0]).naturalWidth", img);
            assertTrue(((Number) w).intValue() > 0, img + " is displayed");
        }
        for (String r : List.of("enroll-result", "verify-result", "identify-result", "diff-result")) {
            assertFalse(driver.findElement(By.id(r)).getText().lines().anyMatch(l -> l.equals("null") || l.equals("undefined")), r);
        }
        screenshot("ui-flow.png");
    }

    @Test
    void deleteFromTheList() throws Exception {
        f.session.enrollImages("Temporary", List.of(f.people.get(4).png()), true);
        open(f.ui.url());
        By row = By.cssSelector("#identities-list tr[data-name='Temporary']");
        wait.until(ExpectedConditions.presenceOfElementLocated(row));
        driver.findElement(row).findElement(By.tagName("button")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(ExpectedConditions.numberOfElementsToBe(row, 0));
        assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("Temporary")));
    }

    @Test
    void aNewAddressInTheSameTabIsPickedUp() {
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        ((JavascriptExecutor) driver).executeScript("sessionStorage.setItem('picrypt-token', 'ff00')");
        driver.navigate().refresh();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("conn-error"), "access token"));
        driver.get(f.ui.url()); // only the fragment differs: no navigation unless the page handles it
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
    }

    @Test
    void serverDownIsShown() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        PiCryptClient dead = new PiCryptClient(URI.create("http://127.0.0.1:" + deadPort), "ks", "token");
        try (UiServer ui = new UiServer(dead, new MatchSession(dead, MatchClient.generateSecretKey(), f.pipeline, 1.3), f.pipeline, null).start(0)) {
            open(ui.url());
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "false"));
            assertTrue(driver.findElement(By.id("conn-state")).getText().contains("NOT reachable"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("identities-msg"), "server is down"));
            type("verify-name", "Alice");
            choose("verify-picker", upload("alice-down.png", f.people.get(0).png()));
            driver.findElement(By.id("verify-submit")).click();
            WebElement r = done("verify-result");
            assertEquals("server_down", r.getDomAttribute("data-error"), r.getText());
            assertTrue(r.getText().startsWith("The PiCrypt server is down: cannot reach"), r.getText());
            assertEquals("image difference not available in this build", driver.findElement(By.id("diff-result")).getText());
            screenshot("server-down.png");
        }
    }

    @Test
    void webcamFrameWithoutAFaceSaysSo() throws Exception {
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        // Chromium's fake camera shows a test pattern: captured, sent for detection, and reported as faceless
        driver.findElement(By.id("verify-picker-webcam")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("camera-capture")));
        wait.until(d -> ((Number) ((JavascriptExecutor) d).executeScript("return document.getElementById('camera-video').videoWidth")).intValue() > 0);
        driver.findElement(By.id("camera-capture")).click();
        WebElement fig = wait.until(d -> d.findElements(By.cssSelector("#verify-picker-previews figure[data-faces]")).stream().findFirst().orElse(null));
        assertEquals("0", fig.getDomAttribute("data-faces"));
        assertTrue(fig.getText().contains("no face found"), fig.getText());
        type("verify-name", "Alice");
        driver.findElement(By.id("verify-submit")).click();
        WebElement r = done("verify-result");
        assertEquals("no_face", r.getDomAttribute("data-error"), r.getText());
        assertTrue(r.getText().startsWith("No face found in "), r.getText());
        // the layout at phone width: one column, nothing wider than the screen
        driver.manage().window().setSize(new Dimension(420, 900));
        Number overflow = (Number) ((JavascriptExecutor) driver).executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
        assertEquals(0, overflow.intValue(), "no horizontal scrolling at 420 px");
        Files.write(SHOTS.resolve("phone-width.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        driver.manage().window().setSize(new Dimension(1400, 2600));
    }
}
