package automation

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/dbtest"
)

// TestHistBinMatchesSQL: HistBin gives every value the bin
// rowflow_hist_bin (the rollup's triggers) gives it, at bin edges too; a
// missing value (NULL: a run without a first step) has no bin.
func TestHistBinMatchesSQL(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	q := db.New(pool)
	var null *int16
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT rowflow_hist_bin(NULL)`).Scan(&null))
	require.Nil(t, null)
	values := []float64{0, 1e-5, 9.99e-5, 1e-4, 1.1e-4, 1.2e-4, 0.001, 0.0031, 0.25, 1, 1.5, 59.9, 3600, 86400 * 30, 86400 * 500, 1e12}
	for i := 1; i < HistBins; i += 7 {
		edge := HistMin * math.Pow(HistRatio, float64(i))
		values = append(values, edge*0.999, edge*1.001)
	}
	for _, v := range values {
		got, err := q.HistBin(context.Background(), v)
		require.NoError(t, err)
		require.Equal(t, int(got), HistBin(v), "bin of %g s", v)
	}
}

// TestHistogramPercentiles: the percentiles of a histogram are within
// HistMaxError of percentile_cont over the exact values, for samples of
// very different spreads; none without values.
func TestHistogramPercentiles(t *testing.T) {
	t.Parallel()
	var empty histogram
	require.Equal(t, Percentiles{}, empty.percentiles())
	rng := rand.New(rand.NewPCG(1, 2))
	for name, gen := range map[string]func() float64{
		"uniform ms":     func() float64 { return 0.001 + rng.Float64() },
		"log-normal":     func() float64 { return math.Exp(rng.NormFloat64()*2) + HistMin },
		"one value":      func() float64 { return 0.42 },
		"minutes..hours": func() float64 { return 60 + rng.Float64()*7200 },
	} {
		for _, n := range []int{1, 2, 7, 100, 5000} {
			var h histogram
			vs := make([]float64, n)
			for i := range vs {
				vs[i] = gen()
				h.add(HistBin(vs[i]), 1)
			}
			sort.Float64s(vs)
			p := h.percentiles()
			for q, got := range map[float64]*float64{0.5: p.P50, 0.95: p.P95, 0.99: p.P99} {
				pos := q * float64(n-1)
				lo, hi := math.Floor(pos), math.Ceil(pos)
				want := vs[int(lo)] + (vs[int(hi)]-vs[int(lo)])*(pos-lo)
				require.NotNil(t, got)
				require.InEpsilon(t, want, *got, HistMaxError+1e-12, "%s n=%d p%v", name, n, q*100)
			}
		}
	}
}
