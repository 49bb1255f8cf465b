// The date pickers' weekday headers in Chinese on a Chinese page. Dash's DatePicker has no locale option
// (it always draws Mo, Tu, ...), so the names are replaced as a calendar opens. The calendar opens in a
// popover outside the page's element, so the page's language is read from the app's element.
(function () {
  var WEEKDAYS = {Mo: "一", Tu: "二", We: "三", Th: "四", Fr: "五", Sa: "六", Su: "日"};
  var calendars = document.getElementsByClassName("dash-datepicker-calendar");  // live: a cheap check per change
  function translate() {
    if (!calendars.length || !document.querySelector('.app[lang="zh-CN"]')) return;
    document.querySelectorAll(".dash-datepicker-calendar thead th span").forEach(function (e) {
      var zh = WEEKDAYS[e.textContent.trim()];
      if (zh) e.textContent = zh;
    });
  }
  new MutationObserver(translate).observe(document.documentElement, {childList: true, subtree: true});
})();
