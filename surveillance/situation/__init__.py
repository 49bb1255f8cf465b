"""The epidemic situation: trends, influenza-style seasons, short-term forecasts, response.

Pure functions of arrays and tables, for the reports, pages and emails built on them:

    trends.classify_trends(counts, totals)        increasing / stable / decreasing (Rnssp's rule)
    trends.week_comparison(weekly_panel)           this week, last week, the same week last year
    season.mem_model(rates, dates, start_week=40)  MEM epidemic and intensity thresholds per region
    season.season_status(rates, dates, model)      baseline / low / medium / high / very high, started
    forecast.forecast(weekly_panel, horizons=4)    quantiles 1-4 weeks ahead, and the naive baseline
    indicators.response_indicators(events, episodes)  how fast alerts were answered; 7-1-7; PPV
"""
