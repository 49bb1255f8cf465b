"""The epidemic situation: trends, influenza-style seasons, short-term forecasts, response.

Pure functions of arrays and tables, for the reports, pages and emails built on them:

    trends.trend_table(daily_panel)                 increasing / stable / decreasing (Rnssp's rule)
    trends.week_comparison(weekly_panel)            this week, last week, the same week last year
    mem.mem_model(seasons)                          MEM epidemic and intensity thresholds per region
    season.season_situation(rates, dates, keys)     baseline / low / ... / very high, started, events
    forecast.forecast(weekly_panel, 4)              quantiles 1-4 weeks ahead, or the naive baseline
    indicators.response_indicators(events, episodes)  how fast alerts were answered; PPV; 7-1-7
"""
