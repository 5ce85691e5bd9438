// The step controls (start, prev, play, next, end, slider, arrow keys), the
// module depth menu and zoom buttons; then the page starts.
(function (GF) {
  "use strict";
  const N = GF.nSteps;
  const $ = function (id) { return document.getElementById(id); };
  const slider = $("slider"), label = $("step-label"), play = $("play"), depth = $("depth");
  let timer = null;

  GF.setStep = function (k) {
    GF.state.step = Math.max(0, Math.min(N, k));
    GF.redraw();
    GF.view.reveal(GF.view.current);
  };

  function showStep() {
    const k = GF.state.step;
    slider.value = String(k);
    label.textContent = "";
    label.append("step " + k + " / " + N + ": ");
    label.appendChild(GF.el("b", {}, GF.stepName(k)));
    $("first").disabled = $("prev").disabled = k === 0;
    $("next").disabled = $("last").disabled = k === N;
    $("follow").classList.toggle("on", GF.view.follow);
    const d = GF.collapse.depthOfState();
    depth.value = d === null ? "mixed" : d;
  }
  GF.onRedraw(showStep);

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "play";
    play.classList.remove("on");
  }
  function togglePlay() {
    if (timer) { stop(); return; }
    if (GF.state.step >= N) GF.setStep(0);
    play.textContent = "pause";
    play.classList.add("on");
    // The whole pass in about 20 s, each step shown for 0.1 to 0.8 s.
    timer = setInterval(function () {
      if (GF.state.step >= N) stop(); else GF.setStep(GF.state.step + 1);
    }, Math.max(100, Math.min(800, 20000 / Math.max(N, 1))));
  }

  $("first").addEventListener("click", function () { GF.setStep(0); });
  $("prev").addEventListener("click", function () { GF.setStep(GF.state.step - 1); });
  $("next").addEventListener("click", function () { GF.setStep(GF.state.step + 1); });
  $("last").addEventListener("click", function () { GF.setStep(N); });
  play.addEventListener("click", togglePlay);
  slider.max = String(N);
  slider.addEventListener("input", function () { GF.setStep(Number(slider.value)); });
  $("fit").addEventListener("click", GF.view.manualFit);
  $("zoom-in").addEventListener("click", function () { GF.view.manualZoom(1 / 1.3); });
  $("zoom-out").addEventListener("click", function () { GF.view.manualZoom(1.3); });
  $("follow").addEventListener("click", function () {
    GF.view.follow = !GF.view.follow;
    GF.redraw();
    GF.view.reveal(GF.view.current);
  });

  document.addEventListener("keydown", function (ev) {
    const tag = ev.target.tagName;
    if (ev.target === slider || tag === "SELECT" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const moves = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1};
    if (ev.key in moves) GF.setStep(GF.state.step + moves[ev.key]);
    else if (ev.key === "Home") GF.setStep(0);
    else if (ev.key === "End") GF.setStep(N);
    else if (ev.key === " " && tag !== "BUTTON") togglePlay();
    else return;
    ev.preventDefault();
  });

  function depthMenu() {
    const options = [["", "all open"]];
    for (let d = 1; d <= GF.collapse.maxLevel; d++) {
      options.push([String(d), "collapsed at depth " + d + (d === 1 ? " (top level)" : "")]);
    }
    options.push(["mixed", "as collapsed by hand"]);
    options.forEach(function (o) {
      depth.appendChild(GF.el("option", o[0] === "mixed" ? {value: o[0], disabled: ""}
                                                          : {value: o[0]}, o[1]));
    });
    depth.disabled = GF.collapse.maxLevel === 0;
    depth.addEventListener("change", function () {
      GF.collapse.setDepth(depth.value === "" ? null : Number(depth.value));
    });
  }

  depthMenu();
  const start = GF.data.depth;
  GF.collapse.setDepth(start === null || !GF.collapse.maxLevel ? null
                       : Math.min(start, GF.collapse.maxLevel));
  GF.setStep(0);
  GF.readyAt = performance.now();     // ms after navigation start: the tests print it
  document.body.dataset.ready = "true";
})(window.GF = window.GF || {});
