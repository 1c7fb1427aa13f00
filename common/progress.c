/* progress.c -- expected-to-date and projected year-end figures, in integers. */
#include "progress.h"

int progress_days_elapsed(int year, struct odate today)
{
    if (today.year < year)
        return 0;
    if (today.year > year)
        return tu_days_in_year(year);
    return tu_day_of_year(today);
}

void progress_figures(long long count, long long target, int year, struct odate today,
                      struct target_figures *f)
{
    int diy = tu_days_in_year(year);
    int el = progress_days_elapsed(year, today);
    f->count = count;
    f->target = target;
    f->days_elapsed = el;
    f->days_in_year = diy;
    f->expected_to_date = (target * el * 2 + diy) / (2LL * diy);
    f->projected_year_end = el > 0 ? count * diy / el : count;
    f->pace = progress_pace(count, f->expected_to_date, target);
}

const char *progress_pace(long long count, long long expected, long long target)
{
    long long tol = target / 100 > 0 ? target / 100 : 1;
    long long diff = count - expected;
    return diff > tol ? "ahead" : diff < -tol ? "behind" : "on_pace";
}
